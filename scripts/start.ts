/**
 * `npm start`: the whole system on one machine with embedded defaults — PostgreSQL (embedded unless DATABASE_URL),
 * the Temporal dev server with its Web UI (unless TEMPORAL_ADDRESS), migrations — in the foreground until Ctrl-C,
 * then stops everything it started, by PID.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import { startService, type Service } from '../lib/child-process';
import { createDb } from '../lib/db';
import { startEmbeddedPostgres } from '../lib/embedded-postgres';
import { connectWhenReady, ensureSearchAttributes, searchAttributeFlags } from '../lib/temporal';
import { loadStartConfig, type StartConfig } from './start-config';

const DATABASE = 'payments';
const log = (line: string) => process.stdout.write(`${line}\n`);

/** What was started, stopped in reverse order. */
const stops: { name: string; stop: () => Promise<void> }[] = [];
let stopping: Promise<void> | undefined;
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    for (const { name, stop } of stops.reverse()) {
      log(`stopping ${name}…`);
      await stop().catch((err: unknown) => log(`could not stop ${name}: ${String(err)}`));
    }
  })();
  return stopping;
}

async function main(config: StartConfig): Promise<void> {
  await mkdir(config.dataDir, { recursive: true });
  const databaseUrl = config.databaseUrl ?? (await startPostgres(config));

  const temporalAddress = config.temporalAddress ?? `127.0.0.1:${config.temporalPort}`;
  const temporal = config.temporalAddress ? undefined : await startTemporal(config);
  const connection = await connectWhenReady(temporalAddress, 60_000);
  try {
    const added = await ensureSearchAttributes(connection, config.temporalNamespace);
    if (added.length) log(`registered search attributes ${added.join(', ')}`);
  } finally {
    await connection.close();
  }

  const db = createDb(databaseUrl, { min: 0, max: 1 });
  try {
    const [, applied] = (await db.migrate.latest()) as [number, string[]];
    log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
  } finally {
    await db.destroy();
  }

  log(
    [
      '',
      'payments: ready',
      `  PostgreSQL    ${databaseUrl.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')}`,
      `  Temporal      ${temporalAddress} (namespace ${config.temporalNamespace})`,
      ...(temporal ? [`  Temporal UI   http://127.0.0.1:${config.temporalUiPort}`] : []),
      '  Ctrl-C stops everything started here.',
      '',
    ].join('\n'),
  );

  // In the foreground until Ctrl-C (the exit hook below), or until a service we started dies on its own.
  setInterval(() => {}, 1 << 30);
  if (temporal) {
    const { code, signal } = await temporal.exited;
    if (!stopping) throw new Error(`Temporal dev server exited unexpectedly (code ${code}, signal ${signal})`);
  }
}

async function startPostgres(config: StartConfig): Promise<string> {
  const dataDir = path.join(config.dataDir, 'postgres');
  log(`starting embedded PostgreSQL on 127.0.0.1:${config.embeddedPostgresPort} (data in ${dataDir})…`);
  const pg = await startEmbeddedPostgres({ dataDir, port: config.embeddedPostgresPort });
  stops.push({ name: 'PostgreSQL', stop: () => pg.stop() });
  await pg.ensureDatabase(DATABASE);
  return pg.url(DATABASE);
}

async function startTemporal(config: StartConfig): Promise<Service> {
  log(`starting Temporal dev server on 127.0.0.1:${config.temporalPort}, UI on :${config.temporalUiPort}…`);
  const service = await startService('temporal', config.temporalCliPath, [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(config.temporalPort),
    '--ui-port',
    String(config.temporalUiPort),
    '--namespace',
    config.temporalNamespace,
    '--db-filename',
    path.join(config.dataDir, 'temporal.db'),
    '--log-level',
    'error',
    ...searchAttributeFlags(),
  ]);
  log(`Temporal dev server pid ${service.pid}`);
  stops.push({ name: 'Temporal dev server', stop: () => service.stop() });
  return service;
}

// Ctrl-C and SIGTERM: stop what was started, then exit (embedded-postgres registers its own hook too).
exitHook((done) => void stopAll().finally(done));

let config: StartConfig;
try {
  config = loadStartConfig(process.env);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
main(config).catch(async (err: unknown) => {
  console.error(
    err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : err,
  );
  await stopAll();
  process.exit(1);
});
