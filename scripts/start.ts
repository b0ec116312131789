/**
 * `npm start`: the whole system on one machine with embedded defaults — PostgreSQL (embedded unless DATABASE_URL),
 * the Temporal dev server with its Web UI (unless TEMPORAL_ADDRESS), migrations, the worker and the api — in the
 * foreground until Ctrl-C, then stops everything it started, by PID.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import { startService, type Service } from '../lib/child-process';
import { createDb } from '../lib/db';
import { startEmbeddedPostgres } from '../lib/embedded-postgres';
import { TEMPORAL_SECURITY_VARIABLES } from '../lib/config';
import { connectWhenReady, ensureSearchAttributes, devServerFlags, temporalConnectionOptions } from '../lib/temporal';
import { loadStartConfig, type StartConfig } from './start-config';

const DATABASE = 'payments';
const ROOT = path.resolve(__dirname, '..');
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
  const connection = await connectWhenReady(
    config.temporalConnection ? temporalConnectionOptions(config.temporalConnection) : temporalAddress,
    60_000,
  );
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

  const secrets = await devSecrets(config);
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: config.temporalNamespace,
    // The dev server speaks plaintext: a shell's Temporal Cloud settings (for the CLI) must not reach the api and worker.
    ...(temporal && Object.fromEntries(TEMPORAL_SECURITY_VARIABLES.map((name) => [name, '']))),
    SECRETS_KEY: secrets.secretsKey,
    PUBLIC_URL: config.publicUrl,
    // the demo runs its own 2Checkout sandbox; production configuration leaves it off
    SANDBOX_ENABLED: 'true',
  };
  const sandbox = config.runSandbox
    ? await startNodeService('sandbox', 'sandbox/server.ts', {
        ...process.env,
        SANDBOX_PORT: String(config.sandboxPort),
        SANDBOX_STATE_FILE: path.join(config.dataDir, 'sandbox.json'),
      })
    : undefined;
  if (sandbox) await waitForHttp(`${config.sandboxUrl}/`, sandbox, 60_000);
  const worker = await startNodeService('worker', 'worker/index.ts', {
    ...env,
    TWOCHECKOUT_SANDBOX_URL: config.sandboxUrl,
    WORKER_METRICS_PORT: String(config.workerMetricsPort),
    WEBHOOK_ALLOW_PRIVATE_TARGETS: String(config.allowPrivateWebhookTargets),
  });
  const api = await startNodeService('api', 'api/server.ts', {
    ...env,
    PORT: String(config.apiPort),
    ADMIN_TOKEN: secrets.adminToken,
    TWOCHECKOUT_SANDBOX_URL: config.sandboxUrl,
  });
  await waitForHttp(`http://127.0.0.1:${config.apiPort}/healthz`, api, 60_000);
  const demo = await demoMerchant(config, secrets.adminToken);

  log(
    [
      '',
      'payments: ready',
      `  API           ${config.publicUrl}   (admin token: ${secrets.adminToken})`,
      `  Dashboard     ${config.publicUrl}/dashboard   (demo merchant test key: ${demo.apiKey}${demo.liveApiKey ? `, live key: ${demo.liveApiKey}` : ''})`,
      `  API reference ${config.publicUrl}/docs   (OpenAPI: ${config.publicUrl}/openapi.json)`,
      `  Metrics       ${config.publicUrl}/metrics (admin token)${config.workerMetricsPort ? `, worker http://127.0.0.1:${config.workerMetricsPort}/metrics` : ''}`,
      `  2Checkout     ${config.sandboxUrl}   (the sandbox: test cards, orders, IPN log)`,
      `  PostgreSQL    ${databaseUrl.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')}`,
      `  Temporal      ${temporalAddress} (namespace ${config.temporalNamespace})`,
      ...(temporal ? [`  Temporal UI   http://127.0.0.1:${config.temporalUiPort}`] : []),
      '  Ctrl-C stops everything started here.',
      '',
    ].join('\n'),
  );

  // In the foreground until Ctrl-C (the exit hook below), or until a service we started dies on its own.
  setInterval(() => {}, 1 << 30);
  const services = [worker, api, ...(sandbox ? [sandbox] : []), ...(temporal ? [temporal] : [])];
  const died = await Promise.race(services.map((s) => s.exited.then((e) => ({ ...e, name: s.name }))));
  if (!stopping) throw new Error(`${died.name} exited unexpectedly (code ${died.code}, signal ${died.signal})`);
}

/** ADMIN_TOKEN and SECRETS_KEY when not configured: made once, kept in DATA_DIR so sealed secrets stay readable. */
async function devSecrets(config: StartConfig): Promise<{ adminToken: string; secretsKey: string }> {
  const file = path.join(config.dataDir, 'dev-secrets.json');
  let stored: { adminToken: string; secretsKey: string };
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as typeof stored;
  } catch {
    stored = { adminToken: randomBytes(24).toString('base64url'), secretsKey: randomBytes(32).toString('base64') };
    await writeFile(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
    log(`generated development secrets in ${file}`);
  }
  return { adminToken: config.adminToken ?? stored.adminToken, secretsKey: config.secretsKey ?? stored.secretsKey };
}

/**
 * The demo merchant (its test setup the sandbox; not live): created through the API on first start, its test and live
 * keys kept in DATA_DIR; on later starts, checked to be there still (a database made anew needs it made anew).
 */
async function demoMerchant(config: StartConfig, adminToken: string): Promise<{ apiKey: string; liveApiKey?: string }> {
  const file = path.join(config.dataDir, 'demo-merchant.json');
  const api = (method: string, route: string, token: string, body: unknown) =>
    fetch(`http://127.0.0.1:${config.apiPort}${route}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as { apiKey: string; liveApiKey?: string };
    if ((await api('PATCH', '/v1/merchant', saved.apiKey, {})).ok) return saved;
  } catch {
    // first start, or a database made anew: create it
  }
  const response = await api('POST', '/v1/merchants', adminToken, {
    name: 'Demo shop',
    twocheckout: {
      merchantCode: 'DEMOSHOP',
      secretKey: randomBytes(15).toString('base64url'),
      buyLinkSecretWord: randomBytes(15).toString('base64url'),
      environment: 'sandbox',
      testOrders: true,
    },
  });
  if (!response.ok)
    throw new Error(`could not create the demo merchant: HTTP ${response.status} ${await response.text()}`);
  const { testApiKey: apiKey, liveApiKey } = (await response.json()) as { testApiKey: string; liveApiKey: string };
  await writeFile(file, JSON.stringify({ apiKey, liveApiKey }, null, 2), { mode: 0o600 });
  log('created the demo merchant "Demo shop"');
  return { apiKey, liveApiKey };
}

/** One of our own TypeScript processes, run the way `npm start` runs itself. */
async function startNodeService(name: string, entry: string, env: NodeJS.ProcessEnv): Promise<Service> {
  const service = await startService(name, process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], { env });
  log(`${name} pid ${service.pid}`);
  stops.push({ name, stop: () => service.stop() });
  return service;
}

async function waitForHttp(url: string, service: Service, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void service.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${service.name} exited while starting`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${service.name} did not answer ${url} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function startPostgres(config: StartConfig): Promise<string> {
  const dataDir = path.join(config.dataDir, 'postgres');
  log(`starting embedded PostgreSQL on 127.0.0.1:${config.embeddedPostgresPort}…`);
  const pg = await startEmbeddedPostgres({ dataDir, port: config.embeddedPostgresPort });
  log(`PostgreSQL data in ${pg.dataDir}`);
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
    ...devServerFlags(),
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
