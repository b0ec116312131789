import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, signIn } from '../helpers/browser';
import { newSandboxShop, type SandboxShop } from '../helpers/dashboard';
import { eventually } from '../helpers/eventually';
import { payOnSandbox, startSandbox, type RunningSandbox } from '../helpers/sandbox';
import { startStack, type Stack } from '../helpers/stack';

const SCREENSHOTS = join(__dirname, '../../docs/screenshots');

/**
 * The invoice page's refund form, in headless Chromium, in Russian and in English, against the whole service and the
 * 2Checkout sandbox: a refund asked for on the page reaches the sandbox and comes back as 2Checkout's notification.
 */
describe('the refund form of the invoice page, in headless Chromium', () => {
  jest.setTimeout(240_000);
  let sandbox: RunningSandbox;
  let stack: Stack;
  let browser: Browser;
  let shop: SandboxShop;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    sandbox = await startSandbox({ settleDelayMs: 500 });
    stack = await startStack({ sandboxUrl: sandbox.url });
    shop = await newSandboxShop(stack, 'Refund shop', '250000000501');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await sandbox?.close();
  });

  /** A 50.00 RUB invoice paid on the sandbox and COMPLETE there. */
  async function completed(): Promise<{ id: string; refNo: string }> {
    const created = await stack.call('POST', '/v1/invoices', {
      token: shop.apiKey,
      body: { items: [{ name: 'Order', price: '50.00', quantity: 1 }], currency: 'RUB' },
    });
    await payOnSandbox(sandbox.url, created.json.checkoutUrl);
    const refNo = await eventually(async () => {
      const row = await stack.db('invoices').where({ id: created.json.id }).first();
      return row.status === 'paid' ? (row.twocheckout_refno as string) : undefined;
    }, 60_000);
    await eventually(() => (sandbox.orders.get(refNo)?.status === 'COMPLETE' ? true : undefined), 60_000);
    return { id: created.json.id, refNo };
  }

  async function invoicePage(locale: string, id: string, labels?: { apiKey: string; submit: string }) {
    const context = await browser.newContext({ locale });
    const page = await context.newPage();
    await signIn(page, stack.apiUrl, shop.apiKey, labels);
    await page.goto(`${stack.apiUrl}/dashboard/invoices/${id}`);
    return { context, page };
  }

  it('When the shop refunds part in Russian, then the rest in English, then 2Checkout gets both and the page shows the invoice refunded', async () => {
    const { id, refNo } = await completed();

    const ru = await invoicePage('ru-RU', id, { apiKey: 'API-ключ', submit: 'Войти' });
    expect(await ru.page.locator('#refunds').count()).toBe(0);
    expect(await ru.page.getByLabel(/Сумма/).inputValue()).toBe('50.00'); // what is left, by default
    await ru.page.getByLabel(/Сумма/).fill('20.00');
    await ru.page.getByLabel(/Причина/).fill('Задержка доставки');
    await ru.page.getByRole('button', { name: 'Вернуть' }).click();
    await ru.page.waitForURL('**/dashboard/invoices/*?refundRequested=*');
    expect(await ru.page.getByRole('status').textContent()).toMatch(/^Возврат rf_\w+ запрошен/);
    expect(await ru.page.locator('#refunds tbody tr').count()).toBe(1);
    // 2Checkout confirms it; the page says so once reloaded
    await eventually(async () => {
      await ru.page.reload();
      return (await ru.page.locator('#refunds .refund-status').getAttribute('data-status')) === 'succeeded'
        ? true
        : undefined;
    }, 60_000);
    expect(await ru.page.locator('#refunds .refund-status').textContent()).toBe('возвращён');
    expect(await ru.page.locator('#invoice .badge').getAttribute('data-status')).toBe('partially_refunded');
    await ru.context.close();

    const en = await invoicePage('en-US', id);
    expect(await en.page.getByLabel(/Amount/).inputValue()).toBe('30.00');
    // more than is left: refused, and the page says why
    await en.page.getByLabel(/Amount/).fill('30.01');
    await en.page.getByRole('button', { name: 'Refund' }).click();
    expect(await en.page.getByRole('alert').textContent()).toContain('30.01 RUB is more than is left to refund');
    await en.page.screenshot({ path: join(SCREENSHOTS, 'refund-en.png'), fullPage: true });
    await en.page.goto(`${stack.apiUrl}/dashboard/invoices/${id}`);
    await en.page.getByRole('button', { name: 'Refund' }).click(); // the rest
    await eventually(async () => {
      await en.page.reload();
      return (await en.page.locator('#invoice .badge').getAttribute('data-status')) === 'refunded' ? true : undefined;
    }, 60_000);
    expect(await en.page.locator('#refunds .refund-status').allTextContents()).toEqual(['refunded', 'refunded']);
    expect(await en.page.locator('#refund-form').count()).toBe(0); // nothing left to refund
    await en.context.close();

    expect((sandbox.orders.get(refNo)?.refunds ?? []).map((r) => [r.amount, r.comment])).toEqual([
      ['20.00', 'Задержка доставки'],
      ['30.00', `Refund of invoice ${id}`],
    ]);
  });

  it('When the same form is sent twice (a double click, a resubmitted page), then it is one refund', async () => {
    const { id, refNo } = await completed();
    const { context, page } = await invoicePage('en-US', id);
    const key = await page.locator('#refund-form input[name="idempotencyKey"]').inputValue();
    const form = { idempotencyKey: key, amount: '10.00', reason: '' };
    const csrf = await page.locator('#refund-form input[name="_csrf"]').inputValue();
    for (let i = 0; i < 2; i++) {
      const r = await page.request.post(`${stack.apiUrl}/dashboard/invoices/${id}/refunds`, {
        form: { ...form, _csrf: csrf },
        maxRedirects: 0,
      });
      expect(r.status()).toBe(303);
    }
    await eventually(() => ((sandbox.orders.get(refNo)?.refunds ?? []).length === 1 ? true : undefined), 60_000);
    expect(await stack.db('refunds').where({ invoice_id: id })).toHaveLength(1);
    await context.close();
  });
});
