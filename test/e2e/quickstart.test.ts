import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../helpers/ports';
import { sandboxShop, startSandbox, type RunningSandbox } from '../helpers/sandbox';
import { startStack, type Stack } from '../helpers/stack';

const ROOT = path.resolve(__dirname, '../..');

/** The README's quickstart: from its heading to the next one. */
export function quickstart(readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')): string {
  const from = readme.indexOf('\n## Quickstart');
  const to = readme.indexOf('\n## ', from + 1);
  if (from === -1) throw new Error('README.md has no "## Quickstart"');
  return readme.slice(from, to === -1 ? undefined : to);
}

/** Its code blocks, with their language: `sh` blocks are commands, the others what they print. */
export function codeBlocks(markdown: string): { lang: string; code: string }[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}

/**
 * A developer following the README's quickstart, command by command: every `sh` block, in order, in one bash, with
 * the addresses and key `npm start` would print replaced by this stack's (the only change made to the text).
 */
describe("the README's quickstart", () => {
  jest.setTimeout(180_000);
  let sandbox: RunningSandbox;
  let stack: Stack;

  beforeAll(async () => {
    sandbox = await startSandbox({ settleDelayMs: 500 });
    stack = await startStack({ sandboxUrl: sandbox.url });
  });
  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
  });

  it('When a developer runs every command of the quickstart, then the invoice is paid and the receiver verifies its webhooks and fulfils once', async () => {
    const shop = await sandboxShop(stack, sandbox.url, '250000000091');
    const blocks = codeBlocks(quickstart()).filter((b) => b.lang === 'sh');
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const receiverPort = await freePort();
    const script = blocks
      .map((b) => b.code)
      .join('\n')
      .replaceAll('http://127.0.0.1:3000', stack.apiUrl)
      .replaceAll('http://127.0.0.1:3100', sandbox.url)
      .replaceAll('127.0.0.1:4242', `127.0.0.1:${receiverPort}`)
      .replaceAll('PORT=4242', `PORT=${receiverPort}`)
      .replaceAll('sk_test_…', shop.apiKey);
    expect(script).not.toContain('…'); // every placeholder is filled

    // its own process group, so the receiver it starts in the background ends with it
    const bash = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, detached: true });
    let output = '';
    bash.stdout.on('data', (d: Buffer) => (output += d.toString()));
    bash.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => process.kill(-bash.pid!, 'SIGKILL'), 120_000);
      bash.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    try {
      process.kill(-bash.pid!, 'SIGTERM'); // whatever it left running
    } catch {
      // nothing left
    }
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).toMatch(/verified invoice\.paid evt_\w+: inv_\w+ \w+ → paid/);
    expect(output.match(/^fulfil order-1001$/gm)).toHaveLength(1);

    const [invoice] = await stack.db('invoices').where({ external_id: 'order-1001' });
    expect(invoice).toMatchObject({ status: 'paid', merchant_id: shop.merchantId });
  });
});
