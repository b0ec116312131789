import { createHash } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { buildDynamicBuyLink } from '../../lib/twocheckout';
import { launchChromium, signIn } from '../helpers/browser';
import { eventually } from '../helpers/eventually';
import { payOnSandbox, startSandbox, type RunningSandbox } from '../helpers/sandbox';
import { ADMIN_TOKEN, startStack, type Stack } from '../helpers/stack';

const LIVE = { merchantCode: 'LIVE0001', secretKey: 'L1ve-S3cret-K8wT', buyLinkSecretWord: 'L1ve-W0rd-J5nR' };
const ATTACKER = {
  merchantCode: 'ATTACKER1',
  secretKey: 'Att4ck3r-S3cret-Q9zX',
  buyLinkSecretWord: 'Att4ck3r-W0rd-P7vY',
};
const SECRETS = [LIVE.secretKey, LIVE.buyLinkSecretWord, ATTACKER.secretKey, ATTACKER.buyLinkSecretWord];
const fingerprint = (secret: string) => `sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 8)}`;

/** No secret, and not its last characters either (what the views used to show). */
function expectNoSecretIn(text: string) {
  for (const secret of SECRETS) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(-4));
  }
}

/**
 * Issue 13, row 1, with test and live mode (issue 15): a live key cannot move live mode to the sandbox at all; a test
 * key may point the test setup at a sandbox account of its own, and pay its own sandbox checkout for the live invoice,
 * but that IPN is verified with the live setup's Secret Key only, so it is refused. The whole service, the real
 * 2Checkout sandbox (which sends the IPN, signed with the chosen Secret Key, and retries it), and the dashboard in
 * Chromium.
 */
describe('an invoice is verified with the 2Checkout account it was created under', () => {
  jest.setTimeout(120_000);
  let sandbox: RunningSandbox;
  let stack: Stack;
  let browser: Browser | undefined;
  let apiKey: string;
  let testKey: string;
  let invoiceId: string;

  beforeAll(async () => {
    sandbox = await startSandbox();
    stack = await startStack({ sandboxUrl: sandbox.url });
    const merchant = await stack.call('POST', '/v1/merchants', {
      token: ADMIN_TOKEN,
      body: { name: 'Live shop', twocheckout: { ...LIVE, environment: 'live' } },
    });
    expect(merchant.status).toBe(201);
    apiKey = merchant.json.apiKey;
    testKey = merchant.json.testApiKey;
    expect(apiKey).toBe(merchant.json.liveApiKey);
    const product = await stack.call('POST', '/v1/products', {
      token: apiKey,
      body: { name: 'P', price: '50.00', currency: 'RUB' },
    });
    const invoice = await stack.call('POST', '/v1/invoices', { token: apiKey, body: { productId: product.json.id } });
    expect(new URL(invoice.json.checkoutUrl).host).toBe('secure.2checkout.com');
    invoiceId = invoice.json.id;
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await sandbox?.close();
  });

  it('When the API key holder switches the test setup to a sandbox account of its own and pays the live invoice there, then the IPN is refused and the invoice is not paid', async () => {
    // live mode is 2Checkout itself: the live key cannot move it to the sandbox
    const refused = await stack.call('PATCH', '/v1/merchant', {
      token: apiKey,
      body: { twocheckout: { ...ATTACKER, environment: 'sandbox', testOrders: true } },
    });
    expect([refused.status, refused.json.error.code]).toEqual([422, 'setting_not_in_mode']);
    const patched = await stack.call('PATCH', '/v1/merchant', {
      token: testKey,
      body: { twocheckout: { ...ATTACKER, environment: 'sandbox', testOrders: true } },
    });
    expect(patched.status).toBe(200);
    expect(patched.json.warnings).toBeUndefined(); // the sandbox knows the attacker's account now

    // a checkout signed with the chosen Buy-link Secret Word, for the live invoice
    const link = buildDynamicBuyLink({
      baseUrl: `${sandbox.url}/checkout/buy/`,
      merchantCode: ATTACKER.merchantCode,
      buyLinkSecretWord: ATTACKER.buyLinkSecretWord,
      items: [{ name: 'P', price: '50.00', quantity: 1 }],
      currency: 'RUB',
      orderExtRef: invoiceId,
      expiresAt: new Date(Date.now() + 3600_000),
      test: true,
    });
    expect((await payOnSandbox(sandbox.url, link)).status).toBeLessThan(400);

    // the sandbox posts the IPN to the merchant's one IPN URL; the live invoice's setup does not know its signature
    const ipns = await eventually(
      async () => {
        const data = (await stack.call('GET', '/v1/ipn-events', { token: apiKey })).json.data as {
          refNoExt: string;
          verdict: string;
          livemode: boolean;
        }[];
        return data.some((e) => e.refNoExt === invoiceId) ? data : undefined;
      },
      30_000,
      'the sandbox IPN received',
    );
    expect(ipns.every((e) => e.refNoExt === invoiceId && e.verdict === 'bad_signature' && e.livemode)).toBe(true);
    // and the test key does not even see them: they are the live invoice's
    expect((await stack.call('GET', '/v1/ipn-events', { token: testKey })).json.data).toEqual([]);
    expect((await stack.call('GET', `/v1/invoices/${invoiceId}`, { token: apiKey })).json).toMatchObject({
      status: 'awaiting_payment',
      paidAt: null,
      livemode: true,
    });
    // the live setup is as the admin made it
    expect((await stack.call('GET', '/v1/merchant', { token: apiKey })).json.twocheckout).toMatchObject({
      merchantCode: LIVE.merchantCode,
      environment: 'live',
      secretKey: fingerprint(LIVE.secretKey),
    });
  });

  it('When the settings were changed, then the audit says who changed which, from what to what, and never a secret', async () => {
    const { status, json, text } = await stack.call('GET', '/v1/merchant/settings-changes', { token: testKey });
    expect(status).toBe(200);
    const keys = (await stack.call('GET', '/v1/merchant/api-keys', { token: testKey })).json.data as {
      id: string;
      prefix: string;
    }[];
    expect(json.data).toEqual([
      {
        id: expect.any(Number),
        at: expect.any(String),
        actor: { type: 'api_key', name: `${keys[0]!.id} (${keys[0]!.prefix})` },
        // the test setup was the live account taking test orders; it still takes them
        fields: ['merchantCode', 'environment', 'secretKey', 'buyLinkSecretWord'],
        changes: {
          merchantCode: { from: 'LIVE0001', to: 'ATTACKER1' },
          environment: { from: 'live', to: 'sandbox' },
          secretKey: { changed: true },
          buyLinkSecretWord: { changed: true },
        },
      },
      {
        id: expect.any(Number),
        at: expect.any(String),
        actor: { type: 'admin', name: 'admin' },
        fields: ['merchantCode', 'environment', 'testOrders', 'allowMd5Ipn', 'secretKey', 'buyLinkSecretWord'],
        changes: {
          merchantCode: { to: 'LIVE0001' },
          environment: { to: 'live' },
          testOrders: { to: true },
          allowMd5Ipn: { to: false },
          secretKey: { changed: true },
          buyLinkSecretWord: { changed: true },
        },
      },
    ]);
    expectNoSecretIn(text);
    // a PATCH that changes none of them adds nothing
    await stack.call('PATCH', '/v1/merchant', { token: testKey, body: { twocheckout: ATTACKER } });
    expect((await stack.call('GET', '/v1/merchant/settings-changes', { token: testKey })).json.data).toHaveLength(2);
    // the live key's audit: the live setup as the admin made it, nothing of the test setup
    const live = await stack.call('GET', '/v1/merchant/settings-changes', { token: apiKey });
    expect(live.json.data).toEqual([
      expect.objectContaining({
        actor: { type: 'admin', name: 'admin' },
        changes: {
          liveMerchantCode: { to: 'LIVE0001' },
          liveAllowMd5Ipn: { to: false },
          liveSecretKey: { changed: true },
          liveBuyLinkSecretWord: { changed: true },
        },
      }),
    ]);
    expect(live.text).not.toContain('ATTACKER1');
  });

  it('When the merchant reads its settings, by API or on the dashboard, then secrets show as fingerprints, no character of them', async () => {
    const me = await stack.call('GET', '/v1/merchant', { token: testKey });
    expect(me.json.twocheckout).toMatchObject({
      secretKey: fingerprint(ATTACKER.secretKey),
      buyLinkSecretWord: fingerprint(ATTACKER.buyLinkSecretWord),
    });
    expectNoSecretIn(me.text);

    browser = await launchChromium();
    const page = await (await browser.newContext()).newPage();
    await signIn(page, stack.apiUrl, testKey);
    await page.goto(`${stack.apiUrl}/dashboard/settings`);
    const account = await page.locator('#account').innerText();
    expect(account).toContain(`Secret Key\nfingerprint ${fingerprint(ATTACKER.secretKey)}`);
    expect(account).toContain(`Buy-link Secret Word\nfingerprint ${fingerprint(ATTACKER.buyLinkSecretWord)}`);
    const changes = await page.locator('#settings-changes tbody tr').allInnerTexts();
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatch(
      /^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d [AP]M\tAPI key key_\S+ \(sk_test_\S+\)\tmerchantCode: LIVE0001 → ATTACKER1; environment: live → sandbox; secretKey changed; buyLinkSecretWord changed$/,
    );
    expect(changes[1]).toMatch(/\tadmin\tmerchantCode: — → LIVE0001; environment: — → live;/);
    expectNoSecretIn(await page.content());
  });
});
