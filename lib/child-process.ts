import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Service {
  readonly name: string;
  readonly pid: number;
  /** Settles when the process has exited, however it ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * SIGTERM, then SIGKILL after `graceMs` (inside async-exit-hook's 10 s); resolves once the process is gone.
   * Only ever signals its own PID.
   */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns a long-running child whose output lines are relayed with a `[name]` prefix. */
export function startService(
  name: string,
  command: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<Service> {
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => log(`[${name}] ${line}`));
    }
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.once('exit', (code, signal) => done({ code, signal })),
    );
    child.once('error', (err) => reject(new Error(`Could not start ${name} (${command})`, { cause: err })));
    child.once('spawn', () =>
      resolve({
        name,
        pid: child.pid!,
        exited,
        async stop(graceMs = 8_000) {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        },
      }),
    );
  });
}
