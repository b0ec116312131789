import { Client, Connection } from '@temporalio/client';
import { createDb } from '../lib/db';
import { createLogger, logFunction } from '../lib/logger';
import { createSecretBox } from '../lib/secret-box';
import { temporalConnectionOptions } from '../lib/temporal';
import { createApp } from './app';
import { loadApiConfig } from './config';
import type { ApiDeps } from './deps';
import { startIpnRelay } from './ipn';

/** The api process: HTTP on PORT, the IPN relay, graceful shutdown on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = loadApiConfig(process.env);
  const logger = createLogger({ name: 'api', level: config.logLevel });
  const db = createDb(config.databaseUrl);
  const connection = await Connection.connect(temporalConnectionOptions(config.temporalConnection));
  const deps: ApiDeps = {
    db,
    temporal: new Client({ connection, namespace: config.temporalNamespace }),
    secretBox: createSecretBox(config.secretsKeyring),
    config,
    clock: () => new Date(),
    fetch: globalThis.fetch,
    log: logFunction(logger),
    logger,
  };
  const relay = startIpnRelay(deps, config.ipnRelayIntervalMs);
  const server = createApp(deps).listen(config.port, () => logger.info(`api listening on ${config.publicUrl}`));

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close(() => {
      void relay
        .stop()
        .then(() => Promise.all([db.destroy(), connection.close()]))
        .then(() => process.exit(0));
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
