import path from 'node:path';

/** The project root, and the binaries scripts/setup.mjs installs from PyPI into .tools/ (git-ignored). */
export const ROOT = path.resolve(__dirname, '../..');
export const TEMPORAL_CLI = path.join(ROOT, '.tools/venv/bin/temporal');
export const TEMPORAL_TEST_SERVER = path.join(ROOT, '.tools/venv/bin/temporal-test-server');
/** The venv's Python, for the tools installed as modules (schemathesis). */
export const TOOLS_PYTHON = path.join(ROOT, '.tools/venv/bin/python');
