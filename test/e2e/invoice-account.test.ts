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
const MISMATCH =
  "this invoice was created under 2Checkout merchant LIVE0001 (live), and the merchant's settings now name 2Checkout merchant ATTACKER1 (sandbox): only the account it was created under can confirm its payments";
const fingerprint = (secret: string) => `sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 8)}`;

/** No secret, and not its last characters either (what the views used to show). */
function expectNoSecretIn(text: string) {
  for (const secret of SECRETS) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(-4));
  }
}

/**
 * Issue 13, row 1: with a live merchant's API key only, PATCH the merchant to the sandbox with secrets of one's own,
 * then pay one's own sandbox checkout for the live invoice. The whole service, the real 2Checkout sandbox (which sends
 * the IPN, signed with the chosen Secret Key, and answers the REST look-up), and the dashboard in Chromium.
 */
describe('an invoice is verified with the 2Checkout account it was created under', () => {
  jest.setTimeout(120_000);
  let sandbox: RunningSandbox;
  let stack: Stack;
  let browser: Browser | undefined;
  let apiKey: string;
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

  it('When the API key holder switches the live merchant to a sandbox account of its own and pays the live invoice there, then the invoice is not paid: it goes to review, saying why', async () => {
    const patched = await stack.call('PATCH', '/v1/merchant', {
      token: apiKey,
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

    const reviewed = await eventually(
      async () => {
        const i = (await stack.call('GET', `/v1/invoices/${invoiceId}`, { token: apiKey })).json;
        return i.status === 'awaiting_payment' ? undefined : i;
      },
      30_000,
      `invoice ${invoiceId} handled the sandbox IPN`,
    );
    expect(reviewed).toMatchObject({ status: 'needs_review', statusReason: `not verified: ${MISMATCH}`, paidAt: null });
    // the IPNs themselves are genuine (signed with the Secret Key saved now): logged, verified, and not acted on
    const ipns = await eventually(
      async () => {
        const data = (await stack.call('GET', '/v1/ipn-events', { token: apiKey })).json.data as {
          orderStatus: string;
          verdict: string;
          outcome: string | null;
        }[];
        return data.some((e) => e.orderStatus === 'COMPLETE' && e.outcome !== null) ? data : undefined;
      },
      30_000,
      'the COMPLETE IPN handled',
    );
    // the first moved the invoice to review; the later ones (PENDING, PAYMENT_AUTHORIZED, COMPLETE) say why not paid
    expect(ipns.map((e) => e.verdict)).toEqual(['verified', 'verified', 'verified']);
    expect(ipns.map((e) => e.outcome).sort()).toEqual([
      'not_verified: needs_review',
      `not_verified: ${MISMATCH}`,
      `not_verified: ${MISMATCH}`,
    ]);
    expect((await stack.call('GET', `/v1/invoices/${invoiceId}`, { token: apiKey })).json).toMatchObject({
      status: 'needs_review',
      paidAt: null,
      late: false,
    });
  });

  it('When the settings were changed, then the audit says who changed which, from what to what, and never a secret', async () => {
    const { status, json, text } = await stack.call('GET', '/v1/merchant/settings-changes', { token: apiKey });
    expect(status).toBe(200);
    const keys = (await stack.call('GET', '/v1/merchant/api-keys', { token: apiKey })).json.data as {
      id: string;
      prefix: string;
    }[];
    expect(json.data).toEqual([
      {
        id: expect.any(Number),
        at: expect.any(String),
        actor: { type: 'api_key', name: `${keys[0]!.id} (${keys[0]!.prefix})` },
        fields: ['merchantCode', 'environment', 'testOrders', 'secretKey', 'buyLinkSecretWord'],
        changes: {
          merchantCode: { from: 'LIVE0001', to: 'ATTACKER1' },
          environment: { from: 'live', to: 'sandbox' },
          testOrders: { from: false, to: true },
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
          testOrders: { to: false },
          allowMd5Ipn: { to: false },
          secretKey: { changed: true },
          buyLinkSecretWord: { changed: true },
        },
      },
    ]);
    expectNoSecretIn(text);
    // a PATCH that changes none of them adds nothing
    await stack.call('PATCH', '/v1/merchant', { token: apiKey, body: { name: 'Renamed', twocheckout: ATTACKER } });
    expect((await stack.call('GET', '/v1/merchant/settings-changes', { token: apiKey })).json.data).toHaveLength(2);
  });

  it('When the merchant reads its settings, by API or on the dashboard, then secrets show as fingerprints, no character of them', async () => {
    const me = await stack.call('GET', '/v1/merchant', { token: apiKey });
    expect(me.json.twocheckout).toMatchObject({
      secretKey: fingerprint(ATTACKER.secretKey),
      buyLinkSecretWord: fingerprint(ATTACKER.buyLinkSecretWord),
    });
    expectNoSecretIn(me.text);

    browser = await launchChromium();
    const page = await (await browser.newContext()).newPage();
    await signIn(page, stack.apiUrl, apiKey);
    await page.goto(`${stack.apiUrl}/dashboard/settings`);
    const account = await page.locator('#account').innerText();
    expect(account).toContain(`Secret Key\nfingerprint ${fingerprint(ATTACKER.secretKey)}`);
    expect(account).toContain(`Buy-link Secret Word\nfingerprint ${fingerprint(ATTACKER.buyLinkSecretWord)}`);
    const changes = await page.locator('#settings-changes tbody tr').allInnerTexts();
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatch(
      /^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d [AP]M\tAPI key key_\S+ \(sk_\S+\)\tmerchantCode: LIVE0001 → ATTACKER1; environment: live → sandbox; testOrders: false → true; secretKey changed; buyLinkSecretWord changed$/,
    );
    expect(changes[1]).toMatch(/\tadmin\tmerchantCode: — → LIVE0001; environment: — → live;/);
    expectNoSecretIn(await page.content());
  });
});
