import { readdir, readFile, stat } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';

/** The p-th percentile (0–100) of `values`, nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 1 : 0)} ms` : '—');
export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** The machine a figure was measured on. */
export function machine(): string {
  const list = cpus();
  return `${list.length} × ${list[0]?.model.trim() ?? 'unknown CPU'}, ${mib(totalmem())} RAM, Node ${process.version}, ${process.platform}`;
}

export interface ProcessTimes {
  readonly pid: number;
  readonly name: string;
  /** User + system CPU time, in seconds. */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** `pid` and every process below it (Linux /proc), with CPU time so far and RSS: what the stack is made of. */
export async function processTree(pid: number): Promise<ProcessTimes[]> {
  const out: ProcessTimes[] = [];
  const visit = async (p: number) => {
    const times = await processTimes(p);
    if (!times) return;
    out.push(times);
    for (const child of await childrenOf(p)) await visit(child);
  };
  await visit(pid);
  return out;
}

async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const children: number[] = [];
  for (const task of tasks) {
    const text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
    children.push(...text.split(/\s+/).filter(Boolean).map(Number));
  }
  return children;
}

async function processTimes(pid: number): Promise<ProcessTimes | undefined> {
  try {
    const statLine = await readFile(`/proc/${pid}/stat`, 'utf8');
    const afterName = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
    // fields 14 and 15 (utime, stime) are at 11 and 12 after the state field
    const cpuSeconds = (Number(afterName[11]) + Number(afterName[12])) / CLOCK_TICKS;
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
    return { pid, name: nameOf(cmdline), cpuSeconds, rssBytes: rssKb * 1024 };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** A short name for a process of the stack, from its command line. */
function nameOf(cmdline: readonly string[]): string {
  const joined = cmdline.join(' ');
  for (const [pattern, name] of [
    [/api\/server/, 'api'],
    [/worker\/index/, 'worker'],
    [/sandbox\/server/, 'sandbox'],
    [/scripts\/start/, 'start'],
    [/bench\/ipn-floor/, 'floor'],
    [/temporal.*start-dev/, 'temporal'],
    [/postgres/, 'postgres'],
  ] as const) {
    if (pattern.test(joined)) return name;
  }
  return cmdline[0]?.split('/').pop() ?? '?';
}

/** CPU seconds each kind of process used between two samples of the tree, and as a share of one core. */
export function cpuUse(before: readonly ProcessTimes[], after: readonly ProcessTimes[], seconds: number) {
  const by = new Map<string, number>();
  for (const a of after) {
    const b = before.find((x) => x.pid === a.pid);
    by.set(a.name, (by.get(a.name) ?? 0) + a.cpuSeconds - (b?.cpuSeconds ?? 0));
  }
  return [...by.entries()]
    .filter(([, cpu]) => cpu > 0.05)
    .sort((x, y) => y[1] - x[1])
    .map(([name, cpu]) => `${name} ${((cpu / seconds) * 100).toFixed(0)}%`)
    .join(', ');
}

/** Size of a file and its SQLite companions (-wal, -shm), 0 when absent. */
export async function fileSize(path: string): Promise<number> {
  let total = 0;
  for (const p of [path, `${path}-wal`, `${path}-shm`])
    total += await stat(p).then(
      (s) => s.size,
      () => 0,
    );
  return total;
}
