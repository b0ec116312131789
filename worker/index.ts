import { NativeConnection } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { createDb } from '../lib/db';
import { createSecretBox } from '../lib/secret-box';
import { ensureJanitorSchedule, ensureSearchAttributes } from '../lib/temporal';
import { TASK_QUEUE } from '../workflows/shared';
import { loadWorkerConfig } from './config';
import { createWorker } from './worker';

/** The worker process. SIGINT/SIGTERM drain it (the SDK's default shutdown signals), then it closes its connections. */
async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  const clientConnection = await Connection.connect({ address: config.temporalAddress });
  await ensureSearchAttributes(clientConnection, config.temporalNamespace);
  const client = new Client({ connection: clientConnection, namespace: config.temporalNamespace });
  if (await ensureJanitorSchedule(client, TASK_QUEUE, config.janitorEvery))
    console.log('created the invoice-janitor schedule');

  const db = createDb(config.databaseUrl);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  try {
    const worker = await createWorker({
      connection,
      namespace: config.temporalNamespace,
      deps: {
        db,
        secretBox: createSecretBox(config.secretsKey),
        sandboxUrl: config.sandboxUrl,
        publicUrl: config.publicUrl,
        fetch: globalThis.fetch,
        clock: () => new Date(),
        temporal: client,
      },
    });
    console.log(`worker polling task queue ${worker.options.taskQueue} on ${config.temporalAddress}`);
    await worker.run();
  } finally {
    await connection.close();
    await clientConnection.close();
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
