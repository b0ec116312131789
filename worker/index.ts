import { NativeConnection } from '@temporalio/worker';
import { Connection } from '@temporalio/client';
import { createDb } from '../lib/db';
import { createSecretBox } from '../lib/secret-box';
import { ensureSearchAttributes } from '../lib/temporal';
import { loadWorkerConfig } from './config';
import { createWorker } from './worker';

/** The worker process. SIGINT/SIGTERM drain it (the SDK's default shutdown signals), then it closes its connections. */
async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  const client = await Connection.connect({ address: config.temporalAddress });
  await ensureSearchAttributes(client, config.temporalNamespace);
  await client.close();

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
      },
    });
    console.log(`worker polling task queue ${worker.options.taskQueue} on ${config.temporalAddress}`);
    await worker.run();
  } finally {
    await connection.close();
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
