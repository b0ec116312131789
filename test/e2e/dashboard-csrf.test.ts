import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signIn } from '../helpers/browser';
import { eventually } from '../helpers/eventually';
import { startStack, type Stack } from '../helpers/stack';

/**
 * Issue 13, row 7, as the review found it: a page served from another port of the same host (the same site, so a
 * SameSite=Lax session cookie goes along) opened in a signed-in Chromium posts the dashboard's settings form. Now the
 * form's CSRF token is missing, so the dashboard refuses it and the webhook URL stays; nor can that page frame the
 * dashboard to make the merchant click inside it.
 */
describe('a page of another origin against a signed-in dashboard, in headless Chromium', () => {
  jest.setTimeout(120_000);
  let stack: Stack;
  let shop: Awaited<ReturnType<Stack['newMerchant']>>;
  let attacker: Server;
  let attackerUrl: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack();
    shop = await stack.newMerchant('CSRF1', 'csrf-secret-key');
    // Another port of 127.0.0.1, like the sandbox's: same site as the dashboard, another origin.
    attacker = createServer((req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(
        req.url === '/frame'
          ? `<!doctype html><title>Game</title><iframe name="inner" src="${stack.apiUrl}/dashboard/settings" width="800" height="600"></iframe>`
          : `<!doctype html><title>Prize</title>
<form method="post" action="${stack.apiUrl}/dashboard/settings/webhook">
<input type="hidden" name="action" value="save"><input type="hidden" name="webhookUrl" value="https://attacker.example/hook">
<button>Claim your prize</button></form>`,
      );
    }).listen(0, '127.0.0.1');
    await new Promise((resolve) => attacker.once('listening', resolve));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;

    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    await signIn(page, stack.apiUrl, shop.apiKey);
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
    await stack?.close();
  });

  const webhookUrl = async () => (await stack.db('merchants').where({ id: shop.merchantId }).first()).webhook_url;

  it("When the other origin's page posts the settings form, then the browser sends the session but the dashboard refuses it, and the webhook URL stays", async () => {
    await page.goto(attackerUrl);
    const [forged] = await Promise.all([
      page.waitForRequest(`${stack.apiUrl}/dashboard/settings/webhook`),
      page.getByRole('button', { name: 'Claim your prize' }).click(),
    ]);
    const answer = (await forged.response())!;
    expect({
      sessionSent: /(^|; )session=/.test((await forged.allHeaders()).cookie ?? ''),
      status: answer.status(),
    }).toEqual({ sessionSent: true, status: 403 });
    await page.waitForURL(`${stack.apiUrl}/dashboard/settings/webhook`);
    expect(await page.getByRole('alert').textContent()).toContain('This form was not sent from this dashboard');
    expect(await webhookUrl()).toBeNull();

    // The merchant's own form, on the dashboard, still works.
    await page.goto(`${stack.apiUrl}/dashboard/settings`);
    await page.getByLabel('Webhook URL').fill('https://shop.example/payments/webhook');
    await page.getByRole('button', { name: 'Save webhook URL' }).click();
    await page.getByRole('status').first().waitFor();
    expect(await webhookUrl()).toBe('https://shop.example/payments/webhook');
  });

  it("When the other origin's page frames the dashboard, then Chromium shows nothing of it", async () => {
    const refused: string[] = [];
    page.on('console', (m) => void (/frame-ancestors|X-Frame-Options/i.test(m.text()) && refused.push(m.text())));
    await page.goto(`${attackerUrl}/frame`);
    // Chromium swaps the refused frame for its error page: until then the frame may be missing for a moment.
    const frame = await eventually(() => page.frame({ name: 'inner' }) ?? undefined, 10_000, 'the inner frame');
    await frame.waitForLoadState();
    expect(await frame.locator('body').innerText()).not.toContain('Settings');
    expect(refused).not.toEqual([]);
  });
});
