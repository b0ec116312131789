/**
 * Test and live mode (README "Test and live mode"): a merchant's `sk_test_…` and `sk_live_…` keys each see and make
 * only their own mode's products, invoices, refunds, IPNs, webhook deliveries and events; a key of one mode asking
 * for the other's rows gets 404 and changes nothing; going live sets the live 2Checkout setup and leaves the test one
 * (the sandbox here) as it was, so test invoices are still signed for, and paid in, the sandbox.
 */
import { randomBytes } from 'node:crypto';
import { startReceiver } from '../helpers/listen';
import { migrationSource } from '../../lib/db';
import { LiveModeNotSetUp, openMerchant, sealContext, type MerchantRow } from '../../lib/merchants';
import { createSecretBox } from '../../lib/secret-box';
import { createTestDatabase } from '../helpers/db';
import { signedIpnBody } from '../helpers/ipn';
import { dashboardClient } from '../helpers/dashboard';
import { eventually } from '../helpers/eventually';
import { standInOrder } from '../helpers/twocheckout-stand-in';
import { ADMIN_TOKEN, startStack, type Stack } from '../helpers/stack';

const TEST = { merchantCode: 'TESTSHOP1', secretKey: 'sandbox-secret', buyLinkSecretWord: 'sandbox-word' };
const LIVE = { merchantCode: 'LIVESHOP1', secretKey: 'live-secret', buyLinkSecretWord: 'live-word' };

describe('test and live mode', () => {
  let stack: Stack;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let merchantId: string;
  let testKey: string;
  let liveKey: string;
  const rows = {} as Record<'testProduct' | 'liveProduct' | 'testInvoice' | 'liveInvoice', string>;

  const as = (token: string) => ({
    get: (path: string) => stack.call('GET', path, { token }),
    post: (path: string, body: unknown = {}, headers: Record<string, string> = {}) =>
      stack.call('POST', path, { token, body, headers }),
    patch: (path: string, body: unknown) => stack.call('PATCH', path, { token, body }),
    del: (path: string) => stack.call('DELETE', path, { token }),
  });
  const ids = (list: { json: { data: { id: string }[] } }) => list.json.data.map((r) => r.id);

  beforeAll(async () => {
    stack = await startStack();
    receiver = await startReceiver();
    const created = await stack.call('POST', '/v1/merchants', {
      token: ADMIN_TOKEN,
      body: { name: 'Two modes', twocheckout: { ...TEST, environment: 'sandbox', testOrders: true } },
    });
    expect(created.status).toBe(201);
    ({ id: merchantId, testApiKey: testKey, liveApiKey: liveKey } = created.json);
    stack.merchants.set(TEST.merchantCode, TEST.secretKey);
    // the URL is set while the merchant is only testing: an http:// receiver on this machine is fine then
    expect((await as(testKey).patch('/v1/merchant', { webhookUrl: receiver.url })).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await receiver?.close();
    await stack?.close();
  });

  it('When the admin creates a merchant, then it answers a test key and a live key, each naming its mode', () => {
    expect(testKey).toMatch(/^sk_test_[A-Za-z0-9_-]{32}$/);
    expect(liveKey).toMatch(/^sk_live_[A-Za-z0-9_-]{32}$/);
  });

  it('When a live key makes an invoice before the merchant is live, then 409 live_mode_not_set_up; its view has no setup', async () => {
    const refused = await as(liveKey).post('/v1/invoices', {
      items: [{ name: 'X', price: '1.00', quantity: 1 }],
      currency: 'USD',
    });
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('live_mode_not_set_up');
    expect((await as(liveKey).get('/v1/merchant')).json).toMatchObject({
      livemode: true,
      live: false,
      twocheckout: null,
    });
    expect((await as(liveKey).get('/v1/invoices')).json.data).toEqual([]);
  });

  it('When a live key asks for the sandbox or test orders, then 422 and the live setup stays unset', async () => {
    for (const twocheckout of [
      { ...LIVE, environment: 'sandbox' },
      { ...LIVE, testOrders: true },
    ]) {
      const refused = await as(liveKey).patch('/v1/merchant', { twocheckout });
      expect(refused.status).toBe(422);
      expect(refused.json.error.code).toBe('setting_not_in_mode');
    }
    expect((await as(liveKey).get('/v1/merchant')).json.live).toBe(false);
  });

  it('When the merchant goes live with its live key, then the live setup is set and the test setup is as it was', async () => {
    const before = (await as(testKey).get('/v1/merchant')).json;
    // live events go to the same URL: https only from now on (here it fails the TLS handshake, and is logged)
    const http = await as(liveKey).patch('/v1/merchant', { twocheckout: LIVE });
    expect([http.status, http.json.error.code]).toEqual([400, 'invalid_request']);
    expect((await as(liveKey).get('/v1/merchant')).json.live).toBe(false);
    const live = await as(liveKey).patch('/v1/merchant', {
      twocheckout: LIVE,
      webhookUrl: receiver.url.replace(/^http:/, 'https:'),
    });
    expect(live.status).toBe(200);
    expect(live.json).toMatchObject({
      livemode: true,
      live: true,
      twocheckout: { merchantCode: LIVE.merchantCode, environment: 'live', testOrders: false },
    });
    const after = (await as(testKey).get('/v1/merchant')).json;
    expect(after.twocheckout).toEqual(before.twocheckout);
    expect(after).toMatchObject({ livemode: false, live: true, twocheckout: { environment: 'sandbox' } });
  });

  it('When each key makes a product and an invoice, then each is of its mode and signed for its mode’s setup', async () => {
    const testProduct = await as(testKey).post('/v1/products', { name: 'Test P', price: '50.00', currency: 'RUB' });
    const liveProduct = await as(liveKey).post('/v1/products', { name: 'Live P', price: '70.00', currency: 'RUB' });
    expect([testProduct.json.livemode, liveProduct.json.livemode]).toEqual([false, true]);
    rows.testProduct = testProduct.json.id;
    rows.liveProduct = liveProduct.json.id;

    const testInvoice = await as(testKey).post('/v1/invoices', { productId: rows.testProduct });
    const liveInvoice = await as(liveKey).post('/v1/invoices', { productId: rows.liveProduct });
    expect([testInvoice.status, liveInvoice.status]).toEqual([201, 201]);
    rows.testInvoice = testInvoice.json.id;
    rows.liveInvoice = liveInvoice.json.id;
    expect(testInvoice.json.livemode).toBe(false);
    expect(liveInvoice.json.livemode).toBe(true);
    // going live did not move test invoices: still the sandbox, its merchant code
    const testLink = new URL(testInvoice.json.checkoutUrl);
    expect(testLink.origin).toBe(new URL(stack.twoCheckout.url).origin);
    expect(testLink.searchParams.get('merchant')).toBe(TEST.merchantCode);
    const liveLink = new URL(liveInvoice.json.checkoutUrl);
    expect(liveLink.origin).toBe('https://secure.2checkout.com');
    expect(liveLink.searchParams.get('merchant')).toBe(LIVE.merchantCode);
    expect(liveLink.searchParams.get('test')).toBeNull();
  });

  it('When a key makes an invoice for the other mode’s product, then 404 and no invoice is made', async () => {
    const count = async () => (await stack.db('invoices').where({ merchant_id: merchantId }).count({ n: '*' }))[0]!.n;
    const before = await count();
    for (const [key, productId] of [
      [testKey, rows.liveProduct],
      [liveKey, rows.testProduct],
    ] as const) {
      const refused = await as(key).post('/v1/invoices', { productId });
      expect(refused.status).toBe(404);
      expect(refused.json.error.code).toBe('not_found');
    }
    expect(await count()).toBe(before);
  });

  it('When each key lists or reads products and invoices, then it sees its own mode only; the other’s are 404', async () => {
    expect(ids(await as(testKey).get('/v1/products'))).toEqual([rows.testProduct]);
    expect(ids(await as(liveKey).get('/v1/products'))).toEqual([rows.liveProduct]);
    expect(ids(await as(testKey).get('/v1/invoices'))).toEqual([rows.testInvoice]);
    expect(ids(await as(liveKey).get('/v1/invoices'))).toEqual([rows.liveInvoice]);
    for (const [key, product, invoice] of [
      [testKey, rows.liveProduct, rows.liveInvoice],
      [liveKey, rows.testProduct, rows.testInvoice],
    ] as const) {
      expect((await as(key).get(`/v1/products/${product}`)).status).toBe(404);
      expect((await as(key).get(`/v1/invoices/${invoice}`)).status).toBe(404);
      expect((await as(key).get(`/v1/invoices/${invoice}/refunds`)).status).toBe(404);
      expect((await as(key).get(`/v1/invoices?externalId=x&status=awaiting_payment`)).json.data).toEqual([]);
      expect((await as(key).get(`/v1/events?invoiceId=${invoice}`)).json.data).toEqual([]);
      expect((await as(key).get(`/v1/webhook-deliveries?invoiceId=${invoice}`)).json.data).toEqual([]);
    }
  });

  it('When a key cancels or refunds the other mode’s invoice, then 404 and the invoice is untouched', async () => {
    for (const [key, invoice] of [
      [testKey, rows.liveInvoice],
      [liveKey, rows.testInvoice],
    ] as const) {
      expect((await as(key).post(`/v1/invoices/${invoice}/cancel`)).status).toBe(404);
      const refund = await as(key).post(`/v1/invoices/${invoice}/refunds`, {}, { 'Idempotency-Key': `rf-${invoice}` });
      expect(refund.status).toBe(404);
    }
    const invoices = await stack.db('invoices').whereIn('id', [rows.testInvoice, rows.liveInvoice]).pluck('status');
    expect(invoices).toEqual(['awaiting_payment', 'awaiting_payment']);
    expect(await stack.db('refunds').where({ merchant_id: merchantId }).count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('When both keys send the same Idempotency-Key and body, then each mode makes its own invoice; neither replays the other', async () => {
    const body = { items: [{ name: 'Same', price: '5.00', quantity: 1 }], currency: 'USD' };
    const headers = { 'Idempotency-Key': 'same-key-both-modes' };
    const t = await as(testKey).post('/v1/invoices', body, headers);
    const l = await as(liveKey).post('/v1/invoices', body, headers);
    expect([t.status, l.status]).toEqual([201, 201]);
    expect(l.headers.get('idempotent-replayed')).toBeNull();
    expect(t.json.id).not.toBe(l.json.id);
    expect([t.json.livemode, l.json.livemode]).toEqual([false, true]);
    const again = await as(liveKey).post('/v1/invoices', body, headers);
    expect([again.json.id, again.headers.get('idempotent-replayed')]).toEqual([l.json.id, 'true']);
    await as(testKey).post(`/v1/invoices/${t.json.id}/cancel`);
    await as(liveKey).post(`/v1/invoices/${l.json.id}/cancel`);
  });

  it('When IPNs come, then each invoice’s is verified with its own mode’s Secret Key only', async () => {
    const ipn = (secretKey: string, invoiceId: string, refNo: string, testOrder: boolean) =>
      signedIpnBody(secretKey, {
        refNo,
        invoiceId,
        orderStatus: 'COMPLETE',
        total: '50.00',
        currency: 'RUB',
        testOrder,
      });
    // the sandbox's secret cannot confirm a live invoice, nor the live secret a test one
    expect((await stack.postIpn(merchantId, ipn(TEST.secretKey, rows.liveInvoice, 'R-X1', true))).status).toBe(400);
    expect((await stack.postIpn(merchantId, ipn(LIVE.secretKey, rows.testInvoice, 'R-X2', false))).status).toBe(400);
    expect(await stack.db('invoices').whereIn('id', [rows.testInvoice, rows.liveInvoice]).pluck('status')).toEqual([
      'awaiting_payment',
      'awaiting_payment',
    ]);

    // the test invoice, paid in the sandbox (the 2Checkout stand-in) as before going live
    stack.twoCheckout.orders.set('R-T1', standInOrder('R-T1', rows.testInvoice));
    expect((await stack.postIpn(merchantId, ipn(TEST.secretKey, rows.testInvoice, 'R-T1', true))).status).toBe(200);
    await eventually(async () => ((await stack.statusOf(testKey, rows.testInvoice)) === 'paid' ? true : undefined));
  });

  it('When each key reads the IPN log, webhook deliveries and events, then it sees its own mode’s only', async () => {
    const testIpns = (await as(testKey).get('/v1/ipn-events')).json.data as { invoiceId: string; livemode: boolean }[];
    const liveIpns = (await as(liveKey).get('/v1/ipn-events')).json.data as { invoiceId: string; livemode: boolean }[];
    expect(testIpns.length).toBeGreaterThan(0);
    expect(testIpns.every((e) => e.livemode === false && e.invoiceId !== rows.liveInvoice)).toBe(true);
    // the refused attempt claiming the live invoice is in the live log, and only there
    expect(liveIpns.map((e) => e.livemode)).toEqual(liveIpns.map(() => true));
    expect(liveIpns.some((e) => e.invoiceId === null || e.invoiceId === rows.liveInvoice)).toBe(true);

    const deliveries = await eventually(async () => {
      const d = (await as(testKey).get(`/v1/webhook-deliveries?invoiceId=${rows.testInvoice}`)).json.data;
      return d.some((x: { eventType: string }) => x.eventType === 'invoice.paid') ? d : undefined;
    });
    expect(deliveries.every((d: { livemode: boolean }) => d.livemode === false)).toBe(true);
    const liveDeliveries = (await as(liveKey).get('/v1/webhook-deliveries')).json.data as {
      invoiceId: string;
      livemode: boolean;
    }[];
    expect(liveDeliveries.every((d) => d.livemode && d.invoiceId !== rows.testInvoice)).toBe(true);

    const testEvents = (await as(testKey).get('/v1/events')).json.data as { livemode: boolean }[];
    expect(testEvents.length).toBeGreaterThan(0);
    expect(testEvents.every((e) => e.livemode === false)).toBe(true);
    const liveEvents = (await as(liveKey).get('/v1/events')).json.data as { data: { invoice: { id: string } } }[];
    expect(liveEvents.every((e) => e.data.invoice.id !== rows.testInvoice)).toBe(true);
  });

  it('When a key lists, rotates or revokes API keys, then only its own mode’s; a test key cannot touch a live key', async () => {
    const testKeys = (await as(testKey).get('/v1/merchant/api-keys')).json.data as { id: string; livemode: boolean }[];
    const liveKeys = (await as(liveKey).get('/v1/merchant/api-keys')).json.data as { id: string; livemode: boolean }[];
    expect(testKeys.map((k) => k.livemode)).toEqual([false]);
    expect(liveKeys.map((k) => k.livemode)).toEqual([true]);
    expect((await as(testKey).del(`/v1/merchant/api-keys/${liveKeys[0]!.id}`)).status).toBe(404);
    expect((await as(liveKey).get('/v1/merchant')).status).toBe(200);
    const rotated = await as(testKey).post('/v1/merchant/api-keys', { expireCurrentIn: 3600 });
    expect(rotated.json).toMatchObject({ livemode: false, apiKey: expect.stringMatching(/^sk_test_/) });
    expect((await as(rotated.json.apiKey).get('/v1/invoices')).json.data.map((i: { id: string }) => i.id)).toContain(
      rows.testInvoice,
    );
  });

  it('When a test key tries to change what live mode uses, then it is refused and the live setup and webhook URL stay', async () => {
    const liveBefore = (await as(liveKey).get('/v1/merchant')).json;
    const moved = await as(testKey).patch('/v1/merchant', { webhookUrl: 'https://attacker.example/hooks' });
    expect(moved.status).toBe(422);
    expect(moved.json.error.code).toBe('setting_not_in_mode');
    // the test key changes the test setup, and nothing of the live one
    const changed = await as(testKey).patch('/v1/merchant', {
      twocheckout: { merchantCode: 'TESTSHOP2', secretKey: 'other', environment: 'sandbox' },
    });
    expect(changed.status).toBe(200);
    expect(changed.json.twocheckout.merchantCode).toBe('TESTSHOP2');
    // (updatedAt is the merchant's, of both modes)
    expect({ ...(await as(liveKey).get('/v1/merchant')).json, updatedAt: null }).toEqual({
      ...liveBefore,
      updatedAt: null,
    });
    const seen = JSON.stringify((await as(testKey).get('/v1/merchant/settings-changes')).json);
    expect(seen).toContain('TESTSHOP2');
    expect(seen).not.toContain(LIVE.merchantCode);
    await as(testKey).patch('/v1/merchant', { twocheckout: TEST });
  });

  it('When the dashboard is signed in with a key, then it shows that mode, marked, and that mode’s data only', async () => {
    const test = dashboardClient(stack.apiUrl);
    expect((await test.signIn(testKey)).status).toBe(303);
    const testProducts = (await test.get('/dashboard/products')).text;
    expect(testProducts).toMatch(/<mark id="mode" data-livemode="false"[^>]*>Test mode<\/mark>/);
    expect(testProducts).toContain('Test P');
    expect(testProducts).not.toContain('Live P');
    const testInvoices = (await test.get('/dashboard/invoices')).text;
    expect(testInvoices).toContain(rows.testInvoice);
    expect(testInvoices).not.toContain(rows.liveInvoice);
    expect((await test.get(`/dashboard/invoices/${rows.liveInvoice}`)).status).toBe(404);
    expect((await test.get('/dashboard/settings')).text).toContain(TEST.merchantCode);

    const live = dashboardClient(stack.apiUrl);
    await live.signIn(liveKey);
    const liveProducts = (await live.get('/dashboard/products')).text;
    expect(liveProducts).toContain('data-livemode="true"');
    expect(liveProducts).not.toContain('Test mode');
    expect(liveProducts).toContain('Live P');
    expect(liveProducts).not.toContain('Test P');
    expect((await live.get(`/dashboard/invoices/${rows.testInvoice}`)).status).toBe(404);
    const settings = (await live.get('/dashboard/settings')).text;
    expect(settings).toContain(LIVE.merchantCode);
    expect(settings).not.toContain(TEST.merchantCode);
  });
});

describe('the migration to test and live mode', () => {
  it('When a database from before modes is migrated, then every row takes the mode it already said, and live merchants keep their account', async () => {
    const t = await createTestDatabase();
    const box = createSecretBox(randomBytes(32).toString('base64'));
    try {
      const names = (await migrationSource.getMigrations([])).map((f) => migrationSource.getMigrationName(f));
      for (const _ of names.filter((name) => name < '20261202000400')) await t.db.migrate.up();
      const merchant = (id: string, environment: string, acceptTestOrders: boolean) => ({
        id,
        name: id,
        twocheckout_merchant_code: `CODE_${id}`,
        twocheckout_secret_key_sealed: box.seal(`secret-${id}`, sealContext.secretKey(id)),
        twocheckout_buy_link_secret_word_sealed: box.seal(`word-${id}`, sealContext.buyLinkSecretWord(id)),
        twocheckout_environment: environment,
        accept_test_orders: acceptTestOrders,
      });
      // live: 2Checkout, real orders; sandbox; 2Checkout taking test orders (testing on the real account)
      await t
        .db('merchants')
        .insert([
          merchant('mer_l', 'live', false),
          merchant('mer_s', 'sandbox', true),
          merchant('mer_t', 'live', true),
        ]);
      await t
        .db('api_keys')
        .insert(
          ['mer_l', 'mer_s', 'mer_t'].map((m) => ({ id: `key_${m}`, merchant_id: m, key_hash: m, prefix: 'sk_x' })),
        );
      await t.db('products').insert(
        ['mer_l', 'mer_s'].map((m) => ({
          id: `prd_${m}`,
          merchant_id: m,
          name: 'P',
          price_minor: 100,
          currency: 'USD',
        })),
      );
      const invoice = (id: string, merchantId: string, environment: string, testOrder: boolean | null) => ({
        id,
        merchant_id: merchantId,
        items: JSON.stringify([{ name: 'P', unitPriceMinor: 100, quantity: 1 }]),
        amount_minor: 100,
        currency: 'USD',
        expires_at: new Date(Date.now() + 86_400_000),
        twocheckout_environment: environment,
        twocheckout_merchant_code: `CODE_${merchantId}`,
        test_order: testOrder,
      });
      await t
        .db('invoices')
        .insert([
          invoice('inv_live', 'mer_l', 'live', false),
          invoice('inv_live_unpaid', 'mer_l', 'live', null),
          invoice('inv_test_order', 'mer_l', 'live', true),
          invoice('inv_before_live', 'mer_l', 'sandbox', null),
          invoice('inv_sandbox', 'mer_s', 'sandbox', false),
          invoice('inv_t', 'mer_t', 'live', null),
        ]);
      const ipn = (merchantId: string, invoiceId: string | null, body: string | Buffer) => ({
        merchant_id: merchantId,
        raw_body: Buffer.from(body),
        headers: '{}',
        verdict: 'verified',
        dedup_key: body,
        invoice_id: invoiceId,
        unknown_invoice: invoiceId === null,
        delivery_state: 'not_applicable',
      });
      await t.db('ipn_events').insert([
        ipn('mer_l', 'inv_live', 'REFNO=1'),
        ipn('mer_l', 'inv_test_order', 'REFNO=2&TEST_ORDER=1'),
        ipn('mer_l', null, 'REFNO=3&TEST_ORDER=1'),
        ipn('mer_l', null, 'REFNO=4&TEST_ORDER=0'),
        // a rejected attempt's bytes, not UTF-8
        { ...ipn('mer_l', null, Buffer.from([0x52, 0xff, 0xfe, 0x26])), dedup_key: 'not-utf8', verdict: 'malformed' },
      ]);

      await t.db.migrate.up(); // the next one: 20261202000400_test_and_live_mode
      const modes = async (table: string) =>
        Object.fromEntries(
          (await t.db(table).select('*')).map((r: { id: string | number; dedup_key?: string; livemode: boolean }) => [
            r.dedup_key ?? r.id,
            r.livemode,
          ]),
        );
      expect(await modes('api_keys')).toEqual({ key_mer_l: true, key_mer_s: false, key_mer_t: false });
      expect(await modes('products')).toEqual({ prd_mer_l: true, prd_mer_s: false });
      expect(await modes('invoices')).toEqual({
        inv_live: true,
        inv_live_unpaid: true,
        inv_test_order: false,
        inv_before_live: false,
        inv_sandbox: false,
        inv_t: false,
      });
      expect(await modes('ipn_events')).toEqual({
        'REFNO=1': true,
        'REFNO=2&TEST_ORDER=1': false,
        'REFNO=3&TEST_ORDER=1': false,
        'REFNO=4&TEST_ORDER=0': true,
        'not-utf8': true,
      });

      const rows = Object.fromEntries(
        (await t.db<MerchantRow>('merchants').select('*')).map((r) => [r.id, r] as const),
      ) as Record<string, MerchantRow>;
      // the live merchant: its account is its live setup, and its test setup (the same account, test orders only)
      const live = openMerchant(rows.mer_l!, box, true);
      expect(live).toMatchObject({ merchantCode: 'CODE_mer_l', secretKey: 'secret-mer_l', environment: 'live' });
      expect(live.acceptTestOrders).toBe(false);
      const test = openMerchant(rows.mer_l!, box, false);
      expect(test).toMatchObject({ merchantCode: 'CODE_mer_l', environment: 'live', acceptTestOrders: true });
      // the others are not live yet; the one on 2Checkout keeps taking test orders
      expect([rows.mer_s!.live_twocheckout_merchant_code, rows.mer_t!.live_twocheckout_merchant_code]).toEqual([
        null,
        null,
      ]);
      expect(() => openMerchant(rows.mer_s!, box, true)).toThrow(LiveModeNotSetUp);
      expect(openMerchant(rows.mer_t!, box, false)).toMatchObject({ environment: 'live', acceptTestOrders: true });

      // and back: one setup again, the live merchant's account as it was
      await t.db.migrate.down();
      const back = await t.db('merchants').where({ id: 'mer_l' }).first();
      expect([back.twocheckout_environment, back.accept_test_orders]).toEqual(['live', false]);
      expect(back).not.toHaveProperty('live_twocheckout_merchant_code');
    } finally {
      await t.drop();
    }
  });
});
