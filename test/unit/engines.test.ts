import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { ROOT } from '../helpers/tools';

/**
 * The Node.js the project says it runs on must be one every installed package accepts: otherwise npm warns
 * EBADENGINE at every install, and the package may use what that Node.js lacks.
 */
describe('engines', () => {
  it('When a package is installed, then its engines.node admits the oldest Node.js that package.json allows', () => {
    const read = (file: string) => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as Record<string, any>;
    const oldest = semver.minVersion(read('package.json').engines.node as string)!;
    const lock = read('package-lock.json').packages as Record<string, { engines?: { node?: unknown } }>;
    const refusing = Object.entries(lock)
      .filter(([, p]) => typeof p.engines?.node === 'string' && !semver.satisfies(oldest, p.engines.node))
      .map(([name, p]) => `${name} wants node ${String(p.engines!.node)}`);
    expect(refusing).toEqual([]);
  });
});
