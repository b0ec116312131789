import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { freePort } from './ports';

/** A child process the test started, its output collected, signalled only by its own PID. */
export interface Watched {
  child: ChildProcess;
  output(): string;
  /** The process exited (its output may still be arriving). */
  exited: Promise<number | null>;
  /** The process exited and its output is complete. */
  closed: Promise<number | null>;
  /** Resolves once the output holds `text` (with the match, for a pattern); rejects if the process exits first. */
  waitFor(text: string | RegExp): Promise<RegExpExecArray>;
}

export function run(command: string, args: string[], options: SpawnOptions): Watched {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      listeners.forEach((l) => l());
    });
  }
  return {
    child,
    output: () => output,
    exited,
    closed,
    waitFor: (text) =>
      new Promise((resolve, reject) => {
        const pattern = typeof text === 'string' ? new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : text;
        const check = () => {
          const match = pattern.exec(output);
          if (match) {
            listeners.delete(check);
            resolve(match);
          }
        };
        void exited.then((code) => reject(new Error(`${command} exited (${code}) before ${pattern}:\n${output}`)));
        listeners.add(check);
        check();
      }),
  };
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Signals the process by its PID, once, and waits for it to exit; SIGKILL if it has not after `graceMs`. */
export async function stop(watched: Watched | undefined, signal: NodeJS.Signals, graceMs = 60_000): Promise<void> {
  if (!watched || watched.child.exitCode !== null || watched.child.signalCode !== null) return;
  watched.child.kill(signal);
  const timer = setTimeout(() => watched.child.kill('SIGKILL'), graceMs);
  await watched.exited;
  clearTimeout(timer);
}

/**
 * `npm start`'s settings for a run beside other suites: each port free, embedded PostgreSQL and Temporal, the
 * sandbox here, and secrets generated (nothing taken from the shell that runs the tests).
 */
export async function startOnFreePorts() {
  const ports = {
    postgres: await freePort(),
    temporal: await freePort(),
    temporalUi: await freePort(),
    api: await freePort(),
    sandbox: await freePort(),
    workerMetrics: await freePort(),
  };
  const env = {
    DATABASE_URL: '',
    TEMPORAL_ADDRESS: '',
    EMBEDDED_POSTGRES_PORT: String(ports.postgres),
    TEMPORAL_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.temporalUi),
    PORT: String(ports.api),
    ADMIN_TOKEN: '',
    SECRETS_KEY: '',
    SANDBOX_PORT: String(ports.sandbox),
    TWOCHECKOUT_SANDBOX_URL: '',
    WORKER_METRICS_PORT: String(ports.workerMetrics),
  };
  return { ports, env };
}
