import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../lib/embedded-postgres';
import { freePort } from './ports';

declare global {
  var __embeddedPostgres: { server: EmbeddedPostgres; dataDir: string; dir: string } | undefined;
}

/**
 * One PostgreSQL for the whole run: `TEST_DATABASE_URL` when given (any server, e.g. the machine's own), otherwise
 * an embedded server in a temporary folder. Suites make their own databases on it (test/helpers/db.ts).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return;
  const dir = await mkdtemp(path.join(tmpdir(), 'payments-test-pg-'));
  const dataDir = path.join(dir, 'data');
  const pg = await startEmbeddedPostgres({ dataDir, port: await freePort() });
  globalThis.__embeddedPostgres = { server: pg, dataDir, dir };
  process.env.TEST_DATABASE_URL = pg.url('postgres');
}
