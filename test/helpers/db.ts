import { randomBytes } from 'node:crypto';
import knex, { type Knex } from 'knex';
import { createDb } from '../../lib/db';

/** The server globalSetup prepared (embedded, or TEST_DATABASE_URL). */
function globalServerUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is unset: run the tests through Jest (globalSetup starts PostgreSQL)');
  return url;
}

/** A fresh, empty database of its own for one suite, dropped by `drop()`. */
export async function createTestDatabase(
  serverUrl: () => string = globalServerUrl,
): Promise<{ url: string; db: Knex; drop(): Promise<void> }> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: serverUrl(), pool: { min: 0, max: 1 } });
  await admin.raw('create database ??', [name]);
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  const db = createDb(url.toString(), { min: 0, max: 5 });
  return {
    url: url.toString(),
    db,
    async drop() {
      await db.destroy();
      await admin.raw('drop database if exists ?? with (force)', [name]);
      await admin.destroy();
    },
  };
}
