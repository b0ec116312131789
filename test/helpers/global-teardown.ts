import { rm } from 'node:fs/promises';
import { removeEmbeddedPostgresData } from '../../lib/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  const pg = globalThis.__embeddedPostgres;
  if (!pg) return;
  await pg.server.stop();
  await removeEmbeddedPostgresData(pg.dataDir);
  await rm(pg.dir, { recursive: true, force: true });
}
