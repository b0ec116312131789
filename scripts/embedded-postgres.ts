/**
 * `node --import tsx scripts/embedded-postgres.ts <data-dir> <port>`: an embedded PostgreSQL in the foreground,
 * stopped with SIGINT/SIGTERM. Prints `ready <url>` once it accepts connections. Tests that stop and restart a
 * database run it this way (the package is ESM-only, which Jest's module system cannot load).
 */
import { startEmbeddedPostgres } from '../lib/embedded-postgres';

const [dataDir, port] = process.argv.slice(2);
if (!dataDir || !port || !/^\d+$/.test(port)) {
  console.error('usage: embedded-postgres.ts <data-dir> <port>');
  process.exit(2);
}
startEmbeddedPostgres({ dataDir, port: Number(port) })
  .then((pg) => {
    console.log(`ready ${pg.url('postgres')}`);
    setInterval(() => {}, 1 << 30); // until a signal: embedded-postgres's exit hook stops the server
  })
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
