import type { Browser, Page } from 'playwright-core';
import { launchChromium, signIn } from '../helpers/browser';
import { eventually } from '../helpers/eventually';
import { startSandbox, type RunningSandbox } from '../helpers/sandbox';
import { ADMIN_TOKEN, startStack, type Stack } from '../helpers/stack';

/**
 * The merchant's self-test of DESIGN.md §1, in a real browser against the whole service and the 2Checkout sandbox:
 * create a product priced 50 RUB on the dashboard, open its order link, pay on the sandbox page, come back, and see
 * the invoice turn paid by itself on the Invoices page.
 */
describe('the merchant self-test in headless Chromium', () => {
  jest.setTimeout(180_000);
  let sandbox: RunningSandbox;
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let orderLink: string;
  let merchantKey: string;

  beforeAll(async () => {
    sandbox = await startSandbox();
    stack = await startStack({ sandboxUrl: sandbox.url });
    const merchant = await stack.call('POST', '/v1/merchants', {
      token: ADMIN_TOKEN,
      body: {
        name: 'Demo shop',
        twocheckout: {
          merchantCode: '250000000001',
          secretKey: 'sandbox-secret-key',
          buyLinkSecretWord: 'sandbox-buy-link-secret-word',
          environment: 'sandbox',
          testOrders: true,
        },
      },
    });
    expect(merchant.json.warnings).toBeUndefined();
    merchantKey = merchant.json.apiKey;
    browser = await launchChromium();
    page = await browser.newPage();

    await signIn(page, stack.apiUrl, merchant.json.apiKey);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await sandbox?.close();
  });

  /** Step 3 and 4: the order link, the sandbox's payment page, the card. Returns the invoice id. */
  async function buyWith(card: string): Promise<string> {
    await page.goto(orderLink);
    await page.waitForURL(/\/checkout\/buy\/\?/);
    const invoiceId = new URL(page.url()).searchParams.get('order-ext-ref')!;
    expect(await page.locator('#total').textContent()).toBe('50.00 RUB');
    await page.getByLabel('Card number').fill(card);
    await page.getByRole('button', { name: 'Place order' }).click();
    return invoiceId;
  }

  /** Step 5: the Invoices page, reloaded until the invoice shows `status` (a condition, not a sleep). */
  async function expectInvoiceStatus(invoiceId: string, status: string) {
    await page.goto(`${stack.apiUrl}/dashboard/invoices`);
    // the badge says the status in words and names it in data-status
    const badge = page.locator(`tr[data-invoice="${invoiceId}"] td.status .badge`);
    const deadline = Date.now() + 30_000;
    const shown = async () =>
      `${await badge.getAttribute('data-status')}${(await badge.textContent())?.endsWith('(late)') ? ' (late)' : ''}`;
    while ((await shown()) !== status) {
      if (Date.now() > deadline) throw new Error(`invoice ${invoiceId} is ${await shown()}, not ${status}`);
      await page.waitForTimeout(250);
      await page.reload();
    }
  }

  it('When a 50 RUB product is created on the dashboard and paid with the success card, then its invoice turns paid by itself', async () => {
    await page.goto(`${stack.apiUrl}/dashboard/products`);
    await page.getByLabel('Name').fill('Test product');
    await page.getByLabel('Price').fill('50.00');
    await page.getByLabel('Currency').fill('RUB');
    await page.getByRole('button', { name: 'Create product' }).click();
    orderLink = (await page.locator('a.order-link').first().getAttribute('href'))!;
    expect(orderLink).toMatch(/\/order\/prd_/);

    const invoiceId = await buyWith('4111111111111111');
    await page.waitForURL(/\/pay\/return\?/);
    expect(new URL(page.url()).searchParams.get('refno')).toMatch(/^\d{9}$/);
    await expectInvoiceStatus(invoiceId, 'paid');

    // paid on the authorization; 2Checkout completes the order a moment later, and that IPN is acknowledged too
    const delivered = await eventually(() => {
      const states = sandbox.deliveries.filter((d) => d.state === 'delivered').map((d) => d.orderStatus);
      return states.includes('COMPLETE') ? states : undefined;
    });
    expect(delivered).toEqual(expect.arrayContaining(['PENDING', 'PAYMENT_AUTHORIZED', 'COMPLETE']));
  });

  it('When the declined card is used, then the sandbox says so, no order exists and the invoice stays unpaid', async () => {
    const invoiceId = await buyWith('4000000000000002');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('Your card was declined.');
    expect([...sandbox.orders.values()].some((o) => o.externalReference === invoiceId)).toBe(false);
    await expectInvoiceStatus(invoiceId, 'awaiting_payment');
  });

  it('When the buyer pays an invoice the merchant had canceled, then the Invoices page shows it paid, late', async () => {
    const apiKey = merchantKey;
    const { json: created } = await stack.call('POST', '/v1/invoices', {
      token: apiKey,
      body: { items: [{ name: 'Late item', price: '50.00', quantity: 1 }], currency: 'RUB' },
    });
    await stack.call('POST', `/v1/invoices/${created.id}/cancel`, { token: apiKey });
    await page.goto(created.checkoutUrl);
    await page.getByLabel('Card number').fill('4111111111111111');
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.waitForURL(/\/pay\/return\?/);
    await expectInvoiceStatus(created.id, 'paid (late)');
  });

  it('When the pending card is used, then the invoice is processing, and paid once the order completes', async () => {
    const invoiceId = await buyWith('4000000000000077');
    await page.waitForURL(/\/pay\/return\?/);
    await expectInvoiceStatus(invoiceId, 'paid');
    const events = await stack
      .db('invoice_events')
      .where({ invoice_id: invoiceId, type: 'status_changed' })
      .orderBy('id');
    expect(events.map((e: { to_status: string }) => e.to_status)).toEqual(['processing', 'paid']);
  });
});
