import { defaultPayloadConverter } from '@temporalio/common';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sealContext } from '../../lib/merchants';
import { ipnStoredSignal, workflowIdOf, type IpnStored } from '../../workflows/shared';
import { launchChromium, signIn } from '../helpers/browser';
import { newSandboxShop, type SandboxShop } from '../helpers/dashboard';
import { eventually } from '../helpers/eventually';
import { signedIpnBody } from '../helpers/ipn';
import { payOnSandbox, startSandbox, type RunningSandbox } from '../helpers/sandbox';
import { startStack, type Stack } from '../helpers/stack';

type Shop = SandboxShop;

const DAY_MS = 86400_000;
const utcDay = (d: Date) => d.toISOString().slice(0, 10);

/**
 * The dashboard driven in headless Chromium against the whole service and the 2Checkout sandbox: invoice filters and
 * paging, an invoice's timeline, the IPN log and its replay, the settings page and its connection check, and one
 * merchant never reaching another's invoices or IPNs.
 */
describe('the dashboard in headless Chromium', () => {
  jest.setTimeout(180_000);
  let sandbox: RunningSandbox;
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let shop: Shop;
  let other: Shop;
  let paid: { id: string; refNo: string; checkoutUrl: string };

  const newShop = (name: string, merchantCode: string) => newSandboxShop(stack, name, merchantCode);

  /** What 2Checkout (the sandbox) holds for the shop, as if typed into its Control Panel. */
  const inTwoCheckout = (s: Shop, overrides: Record<string, string> = {}) =>
    fetch(`${sandbox.url}/api/merchants/${s.settings.merchantCode}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...s.settings, name: 'Shop', ipnUrl: s.ipnUrl, ...overrides }),
    });

  const invoice = async (s: Shop, id: string) =>
    (await stack.call('GET', `/v1/invoices/${id}`, { token: s.apiKey })).json;

  /** A buyer pays a new 50 RUB invoice with the success card on the sandbox; waits until it is paid. */
  async function paidInvoice(s: Shop) {
    const product = await stack.call('POST', '/v1/products', {
      token: s.apiKey,
      body: { name: 'Test product', price: '50.00', currency: 'RUB' },
    });
    const checkoutUrl = (await fetch(product.json.orderUrl, { redirect: 'manual' })).headers.get('location')!;
    const id = new URL(checkoutUrl).searchParams.get('order-ext-ref')!;
    await payOnSandbox(sandbox.url, checkoutUrl);
    const done = await eventually(
      async () => {
        const i = await invoice(s, id);
        return i.status === 'paid' ? i : undefined;
      },
      30_000,
      `invoice ${id} paid`,
    );
    return { id, refNo: done.twocheckout.refNo as string, checkoutUrl: done.checkoutUrl as string };
  }

  /** The shop's stored IPN for this invoice and ORDERSTATUS, once its workflow has recorded an outcome. */
  const handledIpn = (invoiceId: string, orderStatus: string) =>
    eventually(
      async () =>
        (await stack
          .db('ipn_events')
          .where({ invoice_id: invoiceId, order_status: orderStatus })
          .whereNotNull('outcome')
          .first()) as { id: number; outcome_at: Date } | undefined,
      30_000,
      `the ${orderStatus} IPN of ${invoiceId} handled`,
    );

  /** The payment events the invoice's workflow was signalled with (for one IPN, or all), as its Temporal history has them. */
  async function signalsOf(invoiceId: string, ipnEventId?: number): Promise<IpnStored[]> {
    const history = await stack.env.client.workflow.getHandle(workflowIdOf(invoiceId)).fetchHistory();
    return (history.events ?? [])
      .map((e) => e.workflowExecutionSignaledEventAttributes)
      .filter((a) => a?.signalName === ipnStoredSignal.name)
      .map((a) => defaultPayloadConverter.fromPayload<IpnStored>(a!.input!.payloads![0]!))
      .filter((p) => ipnEventId === undefined || p.ipnEventId === ipnEventId);
  }

  beforeAll(async () => {
    sandbox = await startSandbox();
    stack = await startStack({ sandboxUrl: sandbox.url });
    shop = await newShop('Shop', '250000000301');
    other = await newShop('Other shop', '250000000302');
    paid = await paidInvoice(shop);
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
    await signIn(page, stack.apiUrl, shop.apiKey);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await sandbox?.close();
  });

  /** The CSRF token of the session, as the forms of the open page carry it. */
  const csrfToken = () => page.locator('input[name="_csrf"]').first().inputValue();

  const rowIds = () =>
    page.locator('tr[data-invoice]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-invoice')));

  it('When the merchant filters by status and by creation day, then only matching invoices are listed, and one created outside the days disappears', async () => {
    const { json: open } = await stack.call('POST', '/v1/invoices', {
      token: shop.apiKey,
      body: { items: [{ name: 'Open item', price: '10.00', quantity: 1 }], currency: 'RUB' },
    });
    const { json: old } = await stack.call('POST', '/v1/invoices', {
      token: shop.apiKey,
      body: { items: [{ name: 'Old item', price: '10.00', quantity: 1 }], currency: 'RUB' },
    });
    await stack
      .db('invoices')
      .where({ id: old.id })
      .update({ created_at: new Date(Date.now() - 10 * DAY_MS) });

    await page.goto(`${stack.apiUrl}/dashboard/invoices`);
    expect(await rowIds()).toEqual(expect.arrayContaining([paid.id, open.id, old.id]));

    await page.getByLabel('Status').selectOption('paid');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=paid/);
    expect(await rowIds()).toEqual([paid.id]);
    expect(await page.locator(`tr[data-invoice="${paid.id}"] td.status`).textContent()).toBe('paid');

    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Created from').fill(utcDay(new Date(Date.now() - 2 * DAY_MS)));
    await page.getByLabel('to', { exact: true }).fill(utcDay(new Date()));
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/from=/);
    const listed = await rowIds();
    expect(listed).toEqual(expect.arrayContaining([paid.id, open.id]));
    expect(listed).not.toContain(old.id);

    await page.getByLabel('Created from').fill(utcDay(new Date(Date.now() - 11 * DAY_MS)));
    await page.getByLabel('to', { exact: true }).fill(utcDay(new Date(Date.now() - 9 * DAY_MS)));
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/to=/);
    expect(await rowIds()).toEqual([old.id]);
  });

  it('When a day holds more invoices than a page, then "Older" pages through them with the filter kept, as the API does', async () => {
    const dayOf = new Date(Date.now() - 400 * DAY_MS);
    const rows = Array.from({ length: 55 }, (_, n) => ({
      id: `inv_paging${String(n).padStart(11, '0')}`,
      merchant_id: shop.id,
      items: JSON.stringify([{ name: 'Bulk', unitPriceMinor: 100, quantity: 1 }]),
      amount_minor: 100,
      currency: 'RUB',
      expires_at: dayOf,
      twocheckout_environment: 'sandbox',
      twocheckout_merchant_code: 'bulk',
      livemode: false,
      created_at: new Date(Date.UTC(dayOf.getUTCFullYear(), dayOf.getUTCMonth(), dayOf.getUTCDate(), 12, 0, n)),
    }));
    await stack.db('invoices').insert(rows);
    const newestFirst = rows.map((r) => r.id).reverse();

    await page.goto(`${stack.apiUrl}/dashboard/invoices?from=${utcDay(dayOf)}&to=${utcDay(dayOf)}`);
    expect(await rowIds()).toEqual(newestFirst.slice(0, 50));
    await page.getByRole('link', { name: 'Older →' }).click();
    await page.waitForURL(/cursor=/);
    expect(new URL(page.url()).searchParams.get('from')).toBe(utcDay(dayOf));
    expect(await rowIds()).toEqual(newestFirst.slice(50));
    expect(await page.getByRole('link', { name: 'Older →' }).count()).toBe(0);

    // GET /v1/invoices pages with the same query: every invoice once, these the oldest.
    const viaApi: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const { json } = await stack.call('GET', `/v1/invoices?limit=20${cursor && `&cursor=${cursor}`}`, {
        token: shop.apiKey,
      });
      viaApi.push(...(json.data as { id: string }[]).map((i) => i.id));
      cursor = json.nextCursor as string | null;
    }
    expect(new Set(viaApi).size).toBe(viaApi.length);
    expect(viaApi.slice(-55)).toEqual(newestFirst);
  });

  it('When the filter in the address is wrong, then the page says what is wrong instead of failing', async () => {
    const cases: [string, string][] = [
      ['from=2026-02-30', 'Created from: must be a date such as 2026-11-29'],
      ['to=yesterday', 'Created to: must be a date such as 2026-11-29'],
      ['from=2026-11-20&to=2026-11-10', 'Created from: is after the "to" date'],
      ['status=lost', 'Status: is not an invoice status'],
      ['cursor=bm90LWEtY3Vyc29y', 'This page link is not valid any more'],
    ];
    for (const [query, message] of cases) {
      const response = await page.goto(`${stack.apiUrl}/dashboard/invoices?${query}`);
      expect({ query, status: response!.status() }).toEqual({ query, status: 400 });
      expect(await page.getByRole('alert').textContent()).toContain(message);
    }
  });

  it("When a paid invoice's detail is opened, then it shows the invoice and one timeline of status changes, IPNs with their verdicts and webhook attempts", async () => {
    // A forged IPN naming the invoice (shown as a claim), and two webhook attempts, as the webhook workflow records them.
    const forged = await stack.postIpn(
      shop.id,
      signedIpnBody('not the secret key', {
        refNo: paid.refNo,
        invoiceId: paid.id,
        orderStatus: 'REFUND',
        total: '-50.00',
        currency: 'RUB',
      }),
    );
    expect(forged.status).toBe(400);
    const attempt = (n: number, fields: Record<string, unknown>) => ({
      merchant_id: shop.id,
      livemode: false,
      invoice_id: paid.id,
      event_id: 'evt_dashboardtest1',
      event_type: 'invoice.paid',
      payload: JSON.stringify({ id: 'evt_dashboardtest1', type: 'invoice.paid' }),
      url: 'https://shop.example/hooks',
      attempt: n,
      ...fields,
    });
    await stack
      .db('webhook_deliveries')
      .insert([
        attempt(1, { state: 'failed', response_status: 500, response_excerpt: 'oops', completed_at: new Date() }),
        attempt(2, { state: 'failed', error: 'ECONNREFUSED', completed_at: new Date() }),
        attempt(3, { state: 'succeeded', response_status: 200, completed_at: new Date() }),
      ]);

    await page.goto(`${stack.apiUrl}/dashboard/invoices`);
    await page.getByRole('link', { name: paid.id }).click();
    await page.waitForURL(`**/dashboard/invoices/${paid.id}`);

    const fact = (name: string) => page.locator(`#invoice dt:text-is("${name}") + dd`).textContent();
    expect(await fact('Status')).toBe('paid');
    expect(await fact('Amount')).toBe('RUB\u00a050.00');
    expect(await fact('2Checkout RefNo')).toBe(paid.refNo);
    expect(await fact('Late')).toBe('no');
    expect(await fact('Why')).not.toBe('');
    expect(await page.locator('a.checkout-link').getAttribute('href')).toBe(paid.checkoutUrl);

    const rows = async (kind: string) =>
      page
        .locator(`#timeline tr[data-kind="${kind}"]`)
        .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => td.textContent)));
    const statusChanges = await rows('audit');
    expect(statusChanges[0]).toEqual([
      'status',
      'created → awaiting_payment',
      '',
      expect.stringMatching(/^order link of product prd_/),
    ]);
    expect(statusChanges.map((r) => r[1])).toContainEqual(expect.stringMatching(/→ paid$/));
    const ipns = await rows('ipn');
    expect(ipns).toContainEqual([
      expect.stringMatching(/^IPN #\d+$/),
      'COMPLETE',
      'verified (sha3-256)',
      expect.stringMatching(new RegExp(`^RefNo ${paid.refNo} · delivery: delivered · outcome: \\S`)),
    ]);
    expect(ipns).toContainEqual([
      expect.stringMatching(/^IPN #\d+$/),
      'REFUND',
      'bad_signature (sha3-256)',
      `not trusted: only claims this invoice (REFNOEXT); RefNo ${paid.refNo}`,
    ]);
    expect(await rows('webhook')).toEqual([
      [
        'webhook',
        'invoice.paid, attempt 1',
        'failed (HTTP 500)',
        'to https://shop.example/hooks · event evt_dashboardtest1',
      ],
      [
        'webhook',
        'invoice.paid, attempt 2',
        'failed',
        'error: ECONNREFUSED · to https://shop.example/hooks · event evt_dashboardtest1',
      ],
      [
        'webhook',
        'invoice.paid, attempt 3',
        'succeeded (HTTP 200)',
        'to https://shop.example/hooks · event evt_dashboardtest1',
      ],
    ]);
    // One story in time order: the IPN that brought the payment comes before the change to paid it caused.
    const story = await page
      .locator('#timeline tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [tr.getAttribute('data-kind'), tr.getAttribute('data-at'), tr.textContent]),
      );
    const times = story.map(([, at]) => at);
    expect(times).toEqual([...times].sort());
    const paidAt = story.findIndex(([kind, , text]) => kind === 'audit' && / → paid/.test(text ?? ''));
    expect(story.findIndex(([kind]) => kind === 'ipn')).toBeLessThan(paidAt);
  });

  it('When an IPN is replayed from the IPN log, then its workflow is signalled again with replay set and the outcome is recorded anew', async () => {
    const complete = await handledIpn(paid.id, 'COMPLETE');
    // the invoice is paid: its run has ended, and a replay starts another
    const handle = stack.env.client.workflow.getHandle(workflowIdOf(paid.id));
    await eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined));
    const settledRun = (await handle.describe()).runId;

    await page.goto(`${stack.apiUrl}/dashboard/invoices`);
    await page.getByRole('link', { name: 'IPN log' }).click();
    await page.waitForURL('**/dashboard/ipn');
    const row = page.locator(`tr[data-ipn="${complete.id}"]`);
    expect(await row.locator('.verdict').textContent()).toBe('verified');
    expect(await row.locator('td.delivery').textContent()).toBe('delivered');
    expect(await row.locator('td.outcome').getAttribute('data-outcome-at')).toBe(complete.outcome_at.toISOString());

    await row.getByRole('button', { name: 'Replay to workflow' }).click();
    await page.waitForURL(`**/dashboard/ipn?replayed=${complete.id}`);
    expect(await page.getByRole('status').textContent()).toContain(
      `IPN ${complete.id} was handed to its invoice's workflow again`,
    );

    // a run of its own, whose history holds that one signal: the IPN's id, nothing it says
    expect((await handle.describe()).runId).not.toBe(settledRun);
    expect(await signalsOf(paid.id)).toEqual([{ ipnEventId: complete.id, replay: true }]);
    // The workflow handled it again: the outcome's time moves on; the invoice stays paid.
    await eventually(
      async () => {
        await page.reload();
        const at = await row.locator('td.outcome').getAttribute('data-outcome-at');
        return at && new Date(at) > complete.outcome_at ? at : undefined;
      },
      30_000,
      'a new outcome of the replayed IPN',
    );
    expect((await invoice(shop, paid.id)).status).toBe('paid');
  });

  it('When a rejected IPN or one naming no invoice is replayed, then the IPN log refuses with the reason and signals nothing', async () => {
    const unknown = await stack.postIpn(
      shop.id,
      signedIpnBody(shop.settings.secretKey, {
        refNo: '900000001',
        invoiceId: 'inv_nosuchinvoice0000',
        orderStatus: 'COMPLETE',
        total: '50.00',
        currency: 'RUB',
      }),
    );
    expect(unknown.status).toBe(200);
    const forged = await stack.postIpn(
      shop.id,
      signedIpnBody('not the secret key', {
        refNo: paid.refNo,
        invoiceId: paid.id,
        orderStatus: 'COMPLETE',
        total: '50.00',
        currency: 'RUB',
        ipnDate: '20261128120099',
      }),
    );
    expect(forged.status).toBe(400);
    const latest = (where: Record<string, unknown>) =>
      stack
        .db('ipn_events')
        .where({ merchant_id: shop.id, ...where })
        .orderBy('id', 'desc')
        .first();
    const flagged = await latest({ unknown_invoice: true });
    const rejected = await latest({ verdict: 'bad_signature' });

    await page.goto(`${stack.apiUrl}/dashboard/ipn`);
    const flaggedRow = page.locator(`tr[data-ipn="${flagged.id}"]`);
    expect(await flaggedRow.locator('.flag').textContent()).toBe('unknown invoice');
    expect(await flaggedRow.getByRole('button', { name: 'Replay to workflow' }).count()).toBe(0);
    const rejectedRow = page.locator(`tr[data-ipn="${rejected.id}"]`);
    expect(await rejectedRow.locator('.verdict').textContent()).toBe('bad_signature');
    expect(await rejectedRow.getByRole('button', { name: 'Replay to workflow' }).count()).toBe(0);

    // No button is shown, so post the form by hand, with this session's CSRF token, as a tampered page could.
    const signalsBefore = (await signalsOf(paid.id)).length;
    const form = { _csrf: await csrfToken() };
    for (const [id, reason, message] of [
      [rejected.id, 'not_verified', 'its signature did not verify, so nothing in it can be trusted.'],
      [flagged.id, 'no_invoice', 'it names no invoice of yours, so there is no workflow to hand it to.'],
    ] as const) {
      const response = await page.request.post(`${stack.apiUrl}/dashboard/ipn/${id}/replay`, { form });
      expect(response.url()).toBe(`${stack.apiUrl}/dashboard/ipn?refused=${reason}&ipn=${id}`);
      await page.goto(response.url());
      expect(await page.getByRole('alert').textContent()).toBe(`IPN ${id} was not replayed: ${message}`);
    }
    expect(await signalsOf(paid.id)).toHaveLength(signalsBefore);
  });

  it("When another merchant's invoice is opened or its IPN replayed, then the dashboard answers 404 and signals nothing", async () => {
    const { json: theirs } = await stack.call('POST', '/v1/invoices', {
      token: other.apiKey,
      body: { items: [{ name: 'Theirs', price: '5.00', quantity: 1 }], currency: 'RUB' },
    });
    const ipn = await stack.postIpn(
      other.id,
      signedIpnBody(other.settings.secretKey, {
        refNo: '900000002',
        invoiceId: theirs.id,
        orderStatus: 'PENDING',
        total: '5.00',
        currency: 'RUB',
      }),
    );
    expect(ipn.status).toBe(200);
    const theirIpn = await handledIpn(theirs.id, 'PENDING');
    const signalsBefore = await signalsOf(theirs.id, theirIpn.id);
    expect(signalsBefore).toHaveLength(1);

    const detail = await page.goto(`${stack.apiUrl}/dashboard/invoices/${theirs.id}`);
    expect(detail!.status()).toBe(404);
    expect(await page.getByRole('alert').textContent()).toBe('Invoice not found.');
    expect(await page.content()).not.toContain('Theirs');

    const replay = await page.request.post(`${stack.apiUrl}/dashboard/ipn/${theirIpn.id}/replay`, {
      form: { _csrf: await csrfToken() },
    });
    expect(replay.status()).toBe(404);
    expect(await replay.text()).toContain('IPN not found.');
    await page.goto(`${stack.apiUrl}/dashboard/ipn`);
    expect(await page.locator(`tr[data-ipn="${theirIpn.id}"]`).count()).toBe(0);
    expect(await signalsOf(theirs.id, theirIpn.id)).toEqual(signalsBefore);
  });

  it('When a webhook URL is saved on the settings page, then the signing secret is shown once and is the one stored', async () => {
    await page.goto(`${stack.apiUrl}/dashboard/invoices`);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL('**/dashboard/settings');
    expect(await page.getByLabel('IPN URL').inputValue()).toBe(`${stack.apiUrl}/ipn/2checkout/${shop.id}`);
    expect(await page.locator('#merchant-code').textContent()).toBe(shop.settings.merchantCode);
    expect(await page.locator('#ipn-setup').textContent()).toMatch(
      /Integrations → Webhooks & API → IPN Settings[\s\S]*SHA3-256[\s\S]*read receipt/,
    );
    expect(await page.locator('#webhook-url').textContent()).toBe('not set');

    // The browser checks type=url itself; the server's check is what counts, so let the browser send anything.
    await page.getByLabel('Webhook URL').evaluate((input) => input.setAttribute('type', 'text'));
    await page.getByLabel('Webhook URL').fill('javascript:alert(1)');
    await page.getByRole('button', { name: 'Save webhook URL' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('Webhook URL: must be an http:// or https:// URL');

    await page.getByLabel('Webhook URL').fill('https://shop.example/payments/webhook');
    await page.getByRole('button', { name: 'Save webhook URL' }).click();
    await page.locator('#webhook-secret').waitFor();
    const secret = (await page.locator('#webhook-secret').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    expect(await page.locator('#webhook-url').textContent()).toBe('https://shop.example/payments/webhook');
    const row = await stack.db('merchants').where({ id: shop.id }).first();
    expect(stack.secretBox.open(row.webhook_secret_sealed, sealContext.webhookSecret(shop.id))).toBe(secret);

    await page.goto(`${stack.apiUrl}/dashboard/settings`);
    expect(await page.locator('#webhook-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    expect(await page.locator('#webhook-url').textContent()).toBe('https://shop.example/payments/webhook');
  });

  it('When the connection is checked, then it is OK with the right settings, and names the Secret Key or the Buy-link Secret Word when 2Checkout holds another', async () => {
    const check = async () => {
      await page.goto(`${stack.apiUrl}/dashboard/settings`);
      await page.getByRole('button', { name: 'Check connection' }).click();
      await page.locator('#connection-check').waitFor();
      return page
        .locator('#connection-check li')
        .evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-check'), li.className, li.textContent]));
    };
    try {
      expect(await check()).toEqual([
        ['REST API', 'check-ok', expect.stringContaining('REST API: OK')],
        ['Buy link', 'check-ok', expect.stringContaining('Buy link: OK')],
      ]);

      await inTwoCheckout(shop, { secretKey: 'another secret key' });
      expect(await check()).toEqual([
        [
          'REST API',
          'check-rejected',
          expect.stringContaining('(HTTP 401): the Merchant Code or Secret Key is wrong.'),
        ],
        ['Buy link', 'check-ok', expect.anything()],
      ]);

      await inTwoCheckout(shop, { buyLinkSecretWord: 'another word' });
      expect(await check()).toEqual([
        ['REST API', 'check-ok', expect.anything()],
        [
          'Buy link',
          'check-rejected',
          expect.stringContaining('the Buy-link Secret Word differs from the one in 2Checkout'),
        ],
      ]);
    } finally {
      await inTwoCheckout(shop);
    }
  });
});
