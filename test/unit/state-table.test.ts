import { readFileSync } from 'node:fs';
import { GENERATED, generatedBlock, type Generated } from '../../scripts/state-table';

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

describe("the docs' generated tables", () => {
  it.each(Object.keys(GENERATED) as Generated[])(
    'When the docs are read, then their %s table is the one the code generates (run npm run docs)',
    (name) => {
      const block = generatedBlock(readFileSync(GENERATED[name].doc, 'utf8'), name);
      expect(cells(block)).toEqual(cells(GENERATED[name].table()));
      expect(cells(block).length).toBeGreaterThan(10);
    },
  );
});
