import { readFileSync } from 'node:fs';
import { END, README, START } from '../../scripts/state-table';
import { lifecycleTable } from '../../lib/invoice/decide';

/** Table rows as trimmed cells, so Prettier's column alignment does not matter. */
const cells = (markdown: string) =>
  markdown
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[-\s|]+\|$/.test(line))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );

describe("README's invoice state table", () => {
  it('When README.md is read, then its table is the one workflows/decide.ts generates (run npm run docs)', () => {
    const readme = readFileSync(README, 'utf8');
    const block = readme.slice(readme.indexOf(START) + START.length, readme.indexOf(END));
    expect(cells(block)).toEqual(cells(lifecycleTable()));
    expect(cells(block).length).toBeGreaterThan(10);
  });
});
