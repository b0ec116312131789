import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel as TemporalLogLevel } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { createDb } from '../lib/db';
import { createLogger, type Logger, type LogLevel } from '../lib/logger';
import { createWorkerMetrics, serveMetrics } from '../lib/worker-metrics';
import { createSecretBox } from '../lib/secret-box';
import { ensureJanitorSchedule, ensureSearchAttributes, temporalConnectionOptions } from '../lib/temporal';
import { TASK_QUEUE } from '../workflows/shared';
import { loadWorkerConfig } from './config';
import { createWorker } from './worker';

/** The worker process. SIGINT/SIGTERM drain it (the SDK's default shutdown signals), then it closes its connections. */
async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  const logger = createLogger({ name: 'worker', level: config.logLevel });
  // The SDK's own metrics (workflow cache, task latencies, polls) on a local port, served on ours with the rest.
  const sdkMetricsPort = config.metricsPort ? await freeLocalPort() : undefined;
  installTemporalRuntime(logger, config.logLevel, sdkMetricsPort);
  const metrics = createWorkerMetrics();
  const sdkMetrics = async () =>
    sdkMetricsPort === undefined
      ? ''
      : fetch(`http://127.0.0.1:${sdkMetricsPort}/metrics`).then(
          (r) => r.text(),
          () => '',
        );
  const metricsServer = config.metricsPort
    ? await serveMetrics(metrics.registry, config.metricsPort, '0.0.0.0', sdkMetrics)
    : undefined;
  if (metricsServer) logger.info(`worker metrics on http://0.0.0.0:${config.metricsPort}/metrics`);
  const clientConnection = await Connection.connect(temporalConnectionOptions(config.temporalConnection));
  await ensureSearchAttributes(clientConnection, config.temporalNamespace);
  const client = new Client({ connection: clientConnection, namespace: config.temporalNamespace });
  if (await ensureJanitorSchedule(client, TASK_QUEUE, config.janitorEvery))
    logger.info('created the invoice-janitor schedule');

  const db = createDb(config.databaseUrl);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporalConnection));
  try {
    const worker = await createWorker({
      connection,
      namespace: config.temporalNamespace,
      ...(config.maxCachedWorkflows !== undefined && { maxCachedWorkflows: config.maxCachedWorkflows }),
      deps: {
        db,
        secretBox: createSecretBox(config.secretsKeyring),
        sandboxUrl: config.sandboxUrl,
        sandboxEnabled: config.sandboxEnabled,
        publicUrl: config.publicUrl,
        fetch: globalThis.fetch,
        clock: () => new Date(),
        temporal: client,
        metrics,
        webhookPolicy: config.webhookPolicy,
        allowPrivateWebhookTargets: config.allowPrivateWebhookTargets,
      },
    });
    logger.info(`worker polling task queue ${worker.options.taskQueue} on ${config.temporalAddress}`);
    await worker.run();
  } finally {
    await connection.close();
    await clientConnection.close();
    await db.destroy();
    await metricsServer?.close();
  }
}

/**
 * The SDK's own lines (activity failures, worker state, Temporal core) as JSON through the same pino logger, and its
 * metrics in Prometheus' format on 127.0.0.1:`metricsPort`.
 */
function installTemporalRuntime(logger: Logger, level: LogLevel, metricsPort: number | undefined): void {
  const temporal = logger.child({ component: 'temporal' });
  const levels: Record<LogLevel, TemporalLogLevel> = {
    fatal: 'ERROR',
    error: 'ERROR',
    warn: 'WARN',
    info: 'INFO',
    debug: 'DEBUG',
    trace: 'TRACE',
    silent: 'ERROR',
  };
  Runtime.install({
    logger: new DefaultLogger(levels[level], ({ level: l, message, meta }) => {
      const method = ({ TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const)[l];
      temporal[method](meta ?? {}, message);
    }),
    telemetryOptions: {
      logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
      ...(metricsPort !== undefined && { metrics: { prometheus: { bindAddress: `127.0.0.1:${metricsPort}` } } }),
    },
  });
}

/** A port free on 127.0.0.1 now, for the SDK's metrics exporter (which needs a port number before it binds). */
function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
