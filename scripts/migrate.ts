import { z } from 'zod';
import { fields, parseConfig } from '../lib/config';
import { createDb } from '../lib/db';

/** `npm run migrate [-- down]`: migrates DATABASE_URL to the latest schema, or rolls back the last batch. */
async function main(): Promise<void> {
  const config = parseConfig(z.object({ DATABASE_URL: fields.postgresUrl() }), process.env);
  const db = createDb(config.DATABASE_URL, { min: 0, max: 1 });
  try {
    const [, names] = (process.argv[2] === 'down' ? await db.migrate.rollback() : await db.migrate.latest()) as [
      number,
      string[],
    ];
    console.log(
      names.length
        ? names.map((n) => `${process.argv[2] === 'down' ? 'rolled back' : 'applied'} ${n}`).join('\n')
        : 'schema is up to date',
    );
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
