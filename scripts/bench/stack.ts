import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { startService, type Service } from '../../lib/child-process';
import { EMBEDDED_POSTGRES_PASSWORD, removeEmbeddedPostgresData } from '../../lib/embedded-postgres';

const ROOT = path.resolve(__dirname, '../..');

/** Where the benchmark's stack is reached; `pid` is its `npm start` process when the bench started it. */
export interface BenchStack {
  readonly apiUrl: string;
  readonly adminToken: string;
  readonly databaseUrl: string;
  readonly sandboxUrl: string;
  readonly workerMetricsUrl: string | null;
  /** Temporal's SQLite file (the dev server), when known. */
  readonly temporalDb: string | null;
  /** Temporal's frontend, when known: the trivial baseline runs there too. */
  readonly temporalAddress: string | null;
  readonly pid: number | null;
  stop(): Promise<void>;
}

/** A rate limit the bench never reaches. */
const UNREACHED = 1_000_000_000;

/** Ports apart from `npm start`'s, so a bench can run beside a running system. */
const PORTS = { api: 3300, sandbox: 3400, temporal: 7333, temporalUi: 8333, postgres: 54339, workerMetrics: 9474 };

/**
 * The whole stack as `npm start` runs it (scripts/start.ts: embedded PostgreSQL, the Temporal dev server, the
 * sandbox, the worker, the api), in a fresh data directory `.data/bench`, on ports of its own.
 */
export async function startBenchStack(opts: { maxCachedWorkflows: number; quiet: boolean }): Promise<BenchStack> {
  const dataDir = path.join(ROOT, '.data', 'bench');
  await removeEmbeddedPostgresData(path.join(dataDir, 'postgres')); // every run starts empty: figures comparable
  await rm(dataDir, { recursive: true, force: true });
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  const service: Service = await startService(
    'stack',
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'scripts/start.ts')],
    {
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        PORT: String(PORTS.api),
        SANDBOX_PORT: String(PORTS.sandbox),
        TEMPORAL_PORT: String(PORTS.temporal),
        TEMPORAL_UI_PORT: String(PORTS.temporalUi),
        EMBEDDED_POSTGRES_PORT: String(PORTS.postgres),
        WORKER_METRICS_PORT: String(PORTS.workerMetrics),
        WORKER_MAX_CACHED_WORKFLOWS: String(opts.maxCachedWorkflows),
        // One line per request would cost the api as much as some requests: warnings and errors only.
        LOG_LEVEL: 'warn',
        // Every load comes from 127.0.0.1 and every IPN is one merchant's: no production-sized limit may shape a figure.
        RATE_LIMIT_ORDER_LINK_PER_CLIENT: String(UNREACHED),
        RATE_LIMIT_ORDER_LINK_PER_PRODUCT: String(UNREACHED),
        RATE_LIMIT_BAD_API_KEY: String(UNREACHED),
        RATE_LIMIT_IPN_PER_MERCHANT: String(UNREACHED),
      },
      log: (line) => {
        if (line.includes('payments: ready')) ready();
        if (!opts.quiet || /error|fail/i.test(line)) process.stderr.write(`${line}\n`);
      },
    },
  );
  await Promise.race([
    isReady,
    service.exited.then(({ code }) => {
      throw new Error(`npm start exited (${code}) before it was ready`);
    }),
  ]);
  const secrets = JSON.parse(await readFile(path.join(dataDir, 'dev-secrets.json'), 'utf8')) as { adminToken: string };
  return {
    apiUrl: `http://127.0.0.1:${PORTS.api}`,
    adminToken: secrets.adminToken,
    databaseUrl: `postgres://postgres:${EMBEDDED_POSTGRES_PASSWORD}@127.0.0.1:${PORTS.postgres}/payments`,
    sandboxUrl: `http://127.0.0.1:${PORTS.sandbox}`,
    workerMetricsUrl: `http://127.0.0.1:${PORTS.workerMetrics}/metrics`,
    temporalDb: path.join(dataDir, 'temporal.db'),
    temporalAddress: `127.0.0.1:${PORTS.temporal}`,
    pid: service.pid,
    stop: () => service.stop(30_000),
  };
}

/** A stack already running (`npm start`, or production-shaped), described by the command line. */
export function runningStack(o: {
  apiUrl: string;
  adminToken: string;
  databaseUrl: string;
  sandboxUrl: string;
  workerMetricsUrl?: string;
  temporalDb?: string;
  temporalAddress?: string;
}): BenchStack {
  return {
    apiUrl: o.apiUrl.replace(/\/+$/, ''),
    adminToken: o.adminToken,
    databaseUrl: o.databaseUrl,
    sandboxUrl: o.sandboxUrl.replace(/\/+$/, ''),
    workerMetricsUrl: o.workerMetricsUrl ?? null,
    temporalDb: o.temporalDb ?? null,
    temporalAddress: o.temporalAddress ?? null,
    pid: null,
    stop: () => Promise.resolve(),
  };
}
