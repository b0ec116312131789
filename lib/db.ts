import { readdirSync } from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { types } from 'pg';

/** Where the migrations live, whether running from TypeScript sources or from compiled `dist/`. */
export const MIGRATIONS_DIR = path.resolve(__dirname, '../migrations');

interface MigrationModule {
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

/**
 * Migrations are the files `YYYYMMDDHHMMSS_verb_noun.ts` (or `.js` once compiled) in `migrations/`, named without
 * extension so a database migrated from sources and one migrated from `dist/` agree. Loaded with `require`, so the
 * same code runs under tsx, Jest and plain Node.
 */
export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: () =>
    Promise.resolve(
      readdirSync(MIGRATIONS_DIR)
        .filter((f) => /^\d{14}_[a-z0-9_]+\.(ts|js)$/.test(f))
        .sort(),
    ),
  getMigrationName: (file) => file.replace(/\.(ts|js)$/, ''),
  getMigration: (file) =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    Promise.resolve(require(path.join(MIGRATIONS_DIR, file)) as MigrationModule),
};

// bigint columns (amounts in minor units, ids) as numbers: exact up to 2^53, and refused beyond rather than rounded.
types.setTypeParser(types.builtins.INT8, (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${value} exceeds the exact integer range`);
  return n;
});

/** A Knex instance on PostgreSQL with the project's migrations. */
export function createDb(databaseUrl: string, pool: Knex.PoolConfig = { min: 0, max: 10 }): Knex {
  // A database that is down answers within 10 s (the IPN receiver then says 503), not after knex's default minute.
  return knex({
    client: 'pg',
    connection: databaseUrl,
    pool,
    acquireConnectionTimeout: 10_000,
    migrations: { migrationSource },
  });
}
