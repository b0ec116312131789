/**
 * Issue 13, rows 4, 5 and 7 and the smaller findings, each tried as the review tried it, against the real app on the
 * real database and Temporal: security headers, rate limits, rejected IPNs kept small and purged, IPN answers that
 * say less, /metrics behind the admin token, and the dashboard's session cookie, revocation and CSRF tokens.
 */
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/app';
import { startIpnRelay } from '../../api/ipn';
import { serializeIpn, signIpnFields } from '../../lib/twocheckout';
import { dashboardClient } from '../helpers/dashboard';
import { eventually } from '../helpers/eventually';
import { scrape } from '../helpers/prometheus';
import { ADMIN_TOKEN, startStack, type Stack } from '../helpers/stack';
import { fieldsFromObject } from '../helpers/twocheckout-fixtures';

/** Low limits, to reach them in a few requests. */
const LIMITS = {
  orderLinkPerClient: 10,
  orderLinkPerProduct: 15,
  dashboardLogin: 5,
  badApiKey: 20,
  ipnPerMerchant: 30,
};
const KIB = 1024;

let stack: Stack;
type Shop = Awaited<ReturnType<Stack['newMerchant']>> & { secretKey: string };
let shops = 0;
/** A merchant of its own for each test (a 50.00 RUB product): counts and limits of one test do not mix with another's. */
async function newShop(): Promise<Shop> {
  const secretKey = `security-web secret key ${++shops}`;
  return { ...(await stack.newMerchant(`SECWEB${shops}`, secretKey)), secretKey };
}

let clients = 0;
/**
 * A client of its own: the stack trusts its loopback proxy (TRUST_PROXY=loopback), so X-Forwarded-For names the
 * client, as a load balancer would. Requests without it are 127.0.0.1's, which only ever sends good ones here.
 */
const newClient = () => ({ 'X-Forwarded-For': `198.51.100.${++clients}` });

const invoicesOf = async (merchantId: string) =>
  Number((await stack.db('invoices').where({ merchant_id: merchantId }).count({ n: '*' }))[0]!.n);

/** Each request after the other (a limit counts in order), its status and the last answer. */
async function inTurn(n: number, send: (i: number) => Promise<{ status: number }>) {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await send(i)).status);
  return statuses;
}
const times = (n: number, status: number) => Array<number>(n).fill(status);

beforeAll(async () => {
  stack = await startStack({ rateLimits: LIMITS, trustProxy: 'loopback', ipnBodyLimit: 256 * KIB + KIB });
}, 120_000);
afterAll(() => stack?.close());

describe('security headers (row 4)', () => {
  it('When any kind of answer is fetched, then it forbids framing, sniffing and referrers, and the pages run no script', async () => {
    const shop = await newShop();
    const answers = {
      api: await stack.call('GET', '/v1/merchant', { token: shop.apiKey }),
      apiError: await stack.call('GET', '/v1/merchant', { token: 'sk_wrong' }),
      dashboard: await stack.call('GET', '/dashboard/login'),
      orderLink: await stack.call('GET', `/order/${shop.productId}`, { headers: newClient() }),
      buyerPage: await stack.call('GET', '/pay/return'),
      ipn: await stack.call('POST', `/ipn/2checkout/${shop.merchantId}`, { body: 'REFNO=1' }),
      notFound: await stack.call('GET', '/nothing-here'),
      document: await stack.call('GET', '/openapi.json'),
    };
    const headers = Object.fromEntries(
      Object.entries(answers).map(([name, a]) => [
        name,
        {
          csp: a.headers.get('content-security-policy'),
          frame: a.headers.get('x-frame-options'),
          sniff: a.headers.get('x-content-type-options'),
          referrer: a.headers.get('referrer-policy'),
        },
      ]),
    );
    const strict = {
      csp: expect.stringMatching(/(^|;)default-src 'none';.*script-src 'none';.*frame-ancestors 'none'/),
      frame: 'DENY',
      sniff: 'nosniff',
      referrer: 'no-referrer',
    };
    expect(headers).toEqual(Object.fromEntries(Object.keys(answers).map((name) => [name, strict])));
  });

  it('When /docs is fetched, then its policy lets Swagger UI run its own scripts from here, and still no framing', async () => {
    const docs = await stack.call('GET', '/docs/');
    const csp = docs.headers.get('content-security-policy')!.split(';');
    expect(csp).toEqual(
      expect.arrayContaining([
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "default-src 'none'",
      ]),
    );
    expect(docs.headers.get('x-frame-options')).toBe('DENY');
  });

  it('When answers carry the API key, secrets or buyers’ data, then they are Cache-Control: no-store', async () => {
    const shop = await newShop();
    const dashboard = dashboardClient(stack.apiUrl);
    await dashboard.signIn(shop.apiKey);
    const cacheControl = {
      merchant: (await stack.call('GET', '/v1/merchant', { token: shop.apiKey })).headers.get('cache-control'),
      invoices: (await stack.call('GET', '/v1/invoices', { token: shop.apiKey })).headers.get('cache-control'),
      created: (
        await stack.call('POST', '/v1/merchants', {
          token: ADMIN_TOKEN,
          body: {
            name: 'No store',
            twocheckout: { merchantCode: 'NOSTORE', secretKey: 's', buyLinkSecretWord: 'w', environment: 'sandbox' },
          },
        })
      ).headers.get('cache-control'),
      settingsPage: (await dashboard.get('/dashboard/settings')).headers.get('cache-control'),
      invoicesPage: (await dashboard.get('/dashboard/invoices')).headers.get('cache-control'),
      loginPage: (await dashboard.get('/dashboard/login')).headers.get('cache-control'),
      orderLink: (await stack.call('GET', `/order/${shop.productId}`, { headers: newClient() })).headers.get(
        'cache-control',
      ),
    };
    expect(cacheControl).toEqual({
      merchant: 'no-store',
      invoices: 'no-store',
      created: 'no-store',
      settingsPage: 'no-store',
      invoicesPage: 'no-store',
      loginPage: 'no-store',
      orderLink: 'no-store',
    });
  });
});

describe('rate limits (row 5)', () => {
  it('When one client GETs an order link 25 times, then 10 make invoices and 15 get 429 with Retry-After, making none', async () => {
    const shop = await newShop();
    const client = newClient();
    const order = () => stack.call('GET', `/order/${shop.productId}`, { headers: client });
    expect(await inTurn(25, order)).toEqual([...times(10, 302), ...times(15, 429)]);
    expect(await invoicesOf(shop.merchantId)).toBe(10);

    const refused = await order();
    expect({
      retryAfter: Number(refused.headers.get('retry-after')),
      type: refused.headers.get('content-type'),
      text: refused.text,
    }).toEqual({
      retryAfter: expect.any(Number),
      type: 'text/html; charset=utf-8',
      text: expect.stringMatching(/Too many orders from your address: please try again in \d+ seconds/),
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another buyer still gets through.
    expect((await stack.call('GET', `/order/${shop.productId}`, { headers: newClient() })).status).toBe(302);
  });

  it('When 20 clients GET one product’s order link, then the product’s limit stops them at 15 invoices', async () => {
    const shop = await newShop();
    const order = () => stack.call('GET', `/order/${shop.productId}`, { headers: newClient() });
    expect(await inTurn(20, order)).toEqual([...times(15, 302), ...times(5, 429)]);
    expect(await invoicesOf(shop.merchantId)).toBe(15);
    expect((await order()).text).toMatch(/Too many orders of this product just now/);
  });

  it('When a client sends 300 wrong API keys, then after 20 it gets 429, even with a right key; others are not held', async () => {
    const shop = await newShop();
    const client = newClient();
    const guess = (i: number) => stack.call('GET', '/v1/merchant', { token: `sk_guess${i}`, headers: client });
    expect(await inTurn(300, guess)).toEqual([...times(20, 401), ...times(280, 429)]);

    const refused = await stack.call('GET', '/v1/merchant', { token: shop.apiKey, headers: client });
    expect({ status: refused.status, body: refused.json }).toEqual({
      status: 429,
      body: {
        error: {
          code: 'rate_limited',
          message: expect.stringMatching(
            /^Too many requests with a wrong API key from this address: try again in \d+ seconds$/,
          ),
          docUrl: `${stack.apiUrl}/docs/errors#rate_limited`,
          requestId: refused.headers.get('x-request-id'),
        },
      },
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await stack.call('GET', '/v1/merchant', { token: shop.apiKey, headers: newClient() })).status).toBe(200);
  });

  it('When a client’s requests succeed, then they are not counted: only its 401s are', async () => {
    const shop = await newShop();
    const client = newClient();
    const good = () => stack.call('GET', '/v1/merchant', { token: shop.apiKey, headers: client });
    const bad = () => stack.call('GET', '/v1/merchant', { token: 'sk_wrong', headers: client });
    expect(await inTurn(50, good)).toEqual(times(50, 200));
    expect(await inTurn(21, bad)).toEqual([...times(20, 401), 429]);
  });

  it('When a client fails to sign in to the dashboard 100 times, then after 5 it gets 429, even with the right key', async () => {
    const shop = await newShop();
    const browser = dashboardClient(stack.apiUrl, newClient());
    expect(await inTurn(100, () => browser.signIn('sk_wrong'))).toEqual([...times(5, 401), ...times(95, 429)]);
    const refused = await browser.signIn(shop.apiKey);
    expect(refused.status).toBe(429);
    expect(refused.text).toMatch(/Too many failed sign-ins: try again in \d+ minutes\./);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

    // Sign-ins that succeed are not counted.
    const merchant = dashboardClient(stack.apiUrl, newClient());
    expect(await inTurn(10, () => merchant.signIn(shop.apiKey))).toEqual(times(10, 303));
  });

  it('When 40 IPNs are posted for one merchant id at once, then 30 are taken and 10 get 429 (2Checkout retries them); another merchant’s are not held', async () => {
    const shop = await newShop();
    const other = await newShop();
    const before = await scrape(`${stack.apiUrl}/metrics`, ADMIN_TOKEN);
    const post = () => stack.postIpn(shop.merchantId, 'REFNO=1&ORDERSTATUS=COMPLETE');
    expect(await inTurn(40, post)).toEqual([...times(30, 400), ...times(10, 429)]);
    const refused = await post();
    expect([refused.status, refused.headers.get('retry-after') !== null, await refused.text()]).toEqual([
      429,
      true,
      expect.stringMatching(/^Too many IPNs for this merchant: try again in \d+ seconds$/),
    ]);
    const stored = await stack.db('ipn_events').where({ merchant_id: shop.merchantId }).count({ n: '*' });
    expect(Number(stored[0]!.n)).toBe(30);
    const after = await scrape(`${stack.apiUrl}/metrics`, ADMIN_TOKEN);
    const moved = (verdict: string) =>
      after.value('ipn_received_total', { verdict }) - before.value('ipn_received_total', { verdict });
    expect({ rejected: moved('rejected'), throttled: moved('throttled') }).toEqual({ rejected: 30, throttled: 11 });

    expect((await stack.postIpn(other.merchantId, 'REFNO=1')).status).toBe(400);
  });
});

describe('rejected IPNs kept small and purged (row 5)', () => {
  const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

  it('When 10 unsigned 256 KiB IPNs are posted, then each is stored as its first 4 KiB and a hash of the whole', async () => {
    const shop = await newShop();
    const bodies = Array.from({ length: 10 }, (_, i) => {
      const head = `REFNO=${'9'.repeat(5000)}&REFNOEXT=inv_${i}&PAD=`;
      return head + 'x'.repeat(256 * KIB - head.length);
    });
    for (const body of bodies) {
      const answer = await stack.postIpn(shop.merchantId, body);
      expect([answer.status, await answer.text()]).toEqual([400, 'IPN refused']);
    }
    const rows = await stack
      .db('ipn_events')
      .where({ merchant_id: shop.merchantId })
      .orderBy('id')
      .select('raw_body', 'raw_body_sha256', 'raw_body_bytes', 'verdict', 'refno', 'refnoext');
    expect(
      rows.map((r: Record<string, unknown>) => ({ ...r, raw_body: (r.raw_body as Buffer).toString('latin1') })),
    ).toEqual(
      bodies.map((body, i) => ({
        raw_body: body.slice(0, 4 * KIB),
        raw_body_sha256: sha256(body),
        raw_body_bytes: 256 * KIB,
        verdict: 'missing_signature',
        refno: '9'.repeat(100),
        refnoext: `inv_${i}`,
      })),
    );
  });

  it('When a verified IPN is larger than 4 KiB, then it is kept whole', async () => {
    const shop = await newShop();
    const body = serializeIpn(
      signIpnFields(
        fieldsFromObject({
          REFNO: '4100001',
          REFNOEXT: 'inv_none',
          ORDERSTATUS: 'COMPLETE',
          IPN_PID: ['1'],
          IPN_PNAME: ['Test product'],
          IPN_INFO: ['i'.repeat(8 * KIB)],
          IPN_DATE: '20261130120000',
        }),
        shop.secretKey,
      ),
    );
    expect((await stack.postIpn(shop.merchantId, body)).status).toBe(200);
    const row = await stack.db('ipn_events').where({ merchant_id: shop.merchantId }).first();
    expect({ ...row, raw_body: row.raw_body.toString() }).toMatchObject({
      verdict: 'verified',
      raw_body: body,
      raw_body_sha256: null,
      raw_body_bytes: null,
    });
  });

  it('When rejected attempts are older than the retention, then the IPN relay purges them, and never a verified IPN', async () => {
    const shop = await newShop();
    const paid = await stack.paidAtTwoCheckout(shop, '4100002');
    expect((await stack.postIpn(shop.merchantId, paid.body)).status).toBe(200);
    expect((await stack.postIpn(shop.merchantId, 'REFNO=old')).status).toBe(400);
    expect((await stack.postIpn(shop.merchantId, 'REFNO=recent')).status).toBe(400);
    const ids = async () =>
      Object.fromEntries(
        (await stack.db('ipn_events').where({ merchant_id: shop.merchantId }).select('id', 'refno', 'verdict')).map(
          (r: { refno: string; verdict: string }) => [`${r.refno} ${r.verdict}`, true],
        ),
      );
    expect(await ids()).toEqual({
      '4100002 verified': true,
      'old missing_signature': true,
      'recent missing_signature': true,
    });
    const longAgo = new Date(Date.now() - stack.deps.config.rejectedIpnRetentionMs - 86400_000);
    await stack
      .db('ipn_events')
      .where({ merchant_id: shop.merchantId })
      .whereIn('refno', ['4100002', 'old'])
      .update({ received_at: longAgo });

    // A relay as api/server.ts starts it: it purges at once, then hourly.
    const relay = startIpnRelay(stack.deps, 100);
    try {
      await eventually(async () => ((await ids())['old missing_signature'] ? undefined : true), 10_000, 'the purge');
    } finally {
      await relay.stop();
    }
    expect(await ids()).toEqual({ '4100002 verified': true, 'recent missing_signature': true });
  });
});

describe('IPN answers say less; metrics and the IPN log keep the verdict', () => {
  it('When an IPN is malformed, badly signed, or for no merchant, then each gets the same 400, and the verdicts are counted and logged', async () => {
    const shop = await newShop();
    const invoice = await stack.paidAtTwoCheckout(shop, '4200001');
    const forged = (await stack.paidAtTwoCheckout({ ...shop, secretKey: 'not the secret key' }, '4200002')).body;
    const before = await scrape(`${stack.apiUrl}/metrics`, ADMIN_TOKEN);

    const answer = async (merchantId: string, body: string) => {
      const a = await stack.postIpn(merchantId, body);
      return { status: a.status, type: a.headers.get('content-type'), text: await a.text() };
    };
    const refused = { status: 400, type: 'text/plain; charset=utf-8', text: 'IPN refused' };
    expect({
      malformed: await answer(shop.merchantId, 'REFNO=1&REFNO=2'),
      badSignature: await answer(shop.merchantId, forged),
      unknownMerchant: await answer('mer_nosuchmerchant00', invoice.body),
    }).toEqual({ malformed: refused, badSignature: refused, unknownMerchant: refused });

    const after = await scrape(`${stack.apiUrl}/metrics`, ADMIN_TOKEN);
    const moved = (name: string, labels: Record<string, string>) =>
      after.value(name, labels) - before.value(name, labels);
    expect({
      unknownMerchant: moved('ipn_received_total', { verdict: 'unknown_merchant' }),
      rejected: moved('ipn_received_total', { verdict: 'rejected' }),
      malformed: moved('ipn_rejected_total', { reason: 'malformed' }),
      badSignature: moved('ipn_rejected_total', { reason: 'bad_signature' }),
    }).toEqual({ unknownMerchant: 1, rejected: 2, malformed: 1, badSignature: 1 });
    const logged = await stack.call('GET', '/v1/ipn-events', { token: shop.apiKey });
    expect(logged.json.data.map((e: { verdict: string }) => e.verdict)).toEqual(['bad_signature', 'malformed']);
  });
});

describe('/metrics on the public port', () => {
  it('When /metrics is scraped without the admin token, then 401; with it, the metrics', async () => {
    const shop = await newShop();
    const scrapeWith = async (token?: string) =>
      (await stack.call('GET', '/metrics', token === undefined ? {} : { token })).status;
    expect({
      none: await scrapeWith(),
      merchantKey: await scrapeWith(shop.apiKey),
      almostAdmin: await scrapeWith(`${ADMIN_TOKEN}x`),
      admin: await scrapeWith(ADMIN_TOKEN),
    }).toEqual({ none: 401, merchantKey: 401, almostAdmin: 401, admin: 200 });
  });
});

describe('dashboard sessions and CSRF (row 7)', () => {
  /** The attributes of a Set-Cookie header, lower-cased, by name. */
  const cookies = (headers: Headers) =>
    Object.fromEntries(
      headers.getSetCookie().map((c) => {
        const [pair, ...attributes] = c.split(/;\s*/);
        return [pair!.slice(0, pair!.indexOf('=')), attributes.map((a) => a.replace(/=.*/, '').toLowerCase()).sort()];
      }),
    );

  it('When the public URL is https, then the session is a __Host- cookie (Secure, Path=/, no Domain), and it signs in', async () => {
    const https = createApp({ ...stack.deps, config: { ...stack.deps.config, publicUrl: 'https://pay.example' } });
    const server: Server = https.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const shop = await newShop();
      const browser = dashboardClient(url);
      const login = await browser.get('/dashboard/login');
      expect(cookies(login.headers)).toEqual({ '__Host-csrf': ['httponly', 'path', 'samesite', 'secure'] });
      const signedIn = await browser.submit('/dashboard/login', '/dashboard/login', { apiKey: shop.apiKey });
      expect(cookies(signedIn.headers)).toEqual({
        '__Host-session': ['expires', 'httponly', 'path', 'samesite', 'secure'],
      });
      expect(signedIn.headers.getSetCookie()[0]).toMatch(/; Path=\/;.*; Secure; SameSite=Lax$/);
      expect((await browser.get('/dashboard/invoices')).status).toBe(200);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('When the public URL is plain http (npm start on this machine), then the session cookie has no prefix and no Secure', async () => {
    const shop = await newShop();
    const signedIn = await dashboardClient(stack.apiUrl).signIn(shop.apiKey);
    expect(cookies(signedIn.headers)).toEqual({ session: ['expires', 'httponly', 'path', 'samesite'] });
  });

  it('When the merchant signs out, then a copy of its session cookie no longer opens the dashboard', async () => {
    const shop = await newShop();
    const merchant = dashboardClient(stack.apiUrl);
    expect((await merchant.signIn(shop.apiKey)).status).toBe(303);
    const thief = dashboardClient(stack.apiUrl);
    thief.jar.set('session', merchant.jar.get('session')!);
    expect((await thief.get('/dashboard/settings')).status).toBe(200);

    const out = await merchant.submit('/dashboard/invoices', '/dashboard/logout');
    expect([out.status, out.headers.get('location')]).toEqual([303, '/dashboard/login']);
    const copied = await thief.get('/dashboard/settings');
    expect([copied.status, copied.headers.get('location')]).toEqual([303, '/dashboard/login']);
    expect(copied.text).not.toContain(shop.merchantId);

    // Signing in again makes a session of the new version.
    expect((await merchant.signIn(shop.apiKey)).status).toBe(303);
    expect((await merchant.get('/dashboard/settings')).status).toBe(200);
  });

  it('When a signed-in browser posts the settings form without its token, or with another session’s, then 403 and nothing changes', async () => {
    const shop = await newShop();
    const merchant = dashboardClient(stack.apiUrl);
    await merchant.signIn(shop.apiKey);
    const otherSession = dashboardClient(stack.apiUrl);
    await otherSession.signIn(shop.apiKey);
    const othersToken = otherSession.tokenOf((await otherSession.get('/dashboard/settings')).text)!;
    const attack = { action: 'save', webhookUrl: 'https://attacker.example/hook' };
    const webhookUrl = async () => (await stack.db('merchants').where({ id: shop.merchantId }).first()).webhook_url;

    for (const form of [attack, { ...attack, _csrf: '' }, { ...attack, _csrf: othersToken }]) {
      const refused = await merchant.post('/dashboard/settings/webhook', form);
      expect([refused.status, refused.text]).toEqual([403, expect.stringContaining('not sent from this dashboard')]);
    }
    expect(await webhookUrl()).toBeNull();

    const saved = await merchant.submit('/dashboard/settings', '/dashboard/settings/webhook', {
      action: 'save',
      webhookUrl: 'https://shop.example/payments/webhook',
    });
    expect(saved.status).toBe(200);
    expect(await webhookUrl()).toBe('https://shop.example/payments/webhook');
  });

  it('When any dashboard page has a POST form, then each carries the CSRF token, and its own form goes through', async () => {
    const shop = await newShop();
    const merchant = dashboardClient(stack.apiUrl);
    await merchant.signIn(shop.apiKey);
    const created = await merchant.submit('/dashboard/products', '/dashboard/products', {
      name: 'Made on the dashboard',
      price: '12.00',
      currency: 'RUB',
    });
    expect([created.status, created.headers.get('location')]).toEqual([303, '/dashboard/products']);
    for (const path of ['/dashboard/products', '/dashboard/invoices', '/dashboard/ipn', '/dashboard/settings']) {
      const { text } = await merchant.get(path);
      const forms = text.match(/<form method="post"[^>]*>(<input type="hidden" name="_csrf" value="[^"]+">)?/g)!;
      expect({ path, withoutToken: forms.filter((f) => !f.includes('_csrf')) }).toEqual({ path, withoutToken: [] });
    }
  });
});
