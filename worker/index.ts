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
  installTemporalLogger(logger, config.logLevel);
  const metrics = createWorkerMetrics();
  const metricsServer = config.metricsPort
    ? await serveMetrics(metrics.registry, config.metricsPort, '0.0.0.0')
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
        secretBox: createSecretBox(config.secretsKey),
        sandboxUrl: config.sandboxUrl,
        publicUrl: config.publicUrl,
        fetch: globalThis.fetch,
        clock: () => new Date(),
        temporal: client,
        metrics,
        webhookPolicy: config.webhookPolicy,
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

/** The SDK's own lines (activity failures, worker state, Temporal core) as JSON through the same pino logger. */
function installTemporalLogger(logger: Logger, level: LogLevel): void {
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
    telemetryOptions: { logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } } },
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
