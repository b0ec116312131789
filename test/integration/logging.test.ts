import { createLogger } from '../../lib/logger';
import { dashboardClient } from '../helpers/dashboard';
import { eventually } from '../helpers/eventually';
import { signedIpnBody } from '../helpers/ipn';
import { startSandbox, type RunningSandbox } from '../helpers/sandbox';
import { ADMIN_TOKEN, startStack, type Stack } from '../helpers/stack';

const SECRET_KEY = 'Секрет-key-never-logged-7f3a';
const BUY_LINK_WORD = 'buy-link-word-never-logged-91c2';
const CARD = '5555555555554444';
const CVV = '4821';
const EXPIRY = '07/31';

type Line = Record<string, any>;

/** Every line a pino logger writes, as written. */
function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) } };
}

/** Every string inside a parsed line, however deep. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/**
 * The api and the sandbox, each with its JSON logger writing into memory, go through a whole payment: an admin
 * creates a merchant with known 2Checkout secrets, the merchant changes them, sells, a buyer pays on the sandbox
 * checkout with a test card, 2Checkout's IPNs arrive, a forged IPN is refused, the merchant signs in to the dashboard.
 */
describe('structured logs of the api and the sandbox', () => {
  jest.setTimeout(120_000);
  const api = capture();
  const sandboxLog = capture();
  let sandbox: RunningSandbox;
  let stack: Stack;

  beforeAll(async () => {
    sandbox = await startSandbox({ logger: createLogger({ name: 'sandbox', destination: sandboxLog.destination }) });
    stack = await startStack({
      sandboxUrl: sandbox.url,
      logger: createLogger({ name: 'api', destination: api.destination }),
    });
  });
  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
  });

  it('When a merchant is created, sells, is paid by card and signs in, then every line is JSON and no secret, API key or card data is in any', async () => {
    const created = await stack.call('POST', '/v1/merchants', {
      token: ADMIN_TOKEN,
      body: {
        name: 'Logged shop',
        twocheckout: {
          merchantCode: 'LOGSHOP',
          secretKey: 'a-first-secret-key-also-never-logged',
          buyLinkSecretWord: 'a-first-buy-link-word-also-never-logged',
          environment: 'sandbox',
          testOrders: true,
        },
      },
    });
    expect(created.status).toBe(201);
    const { apiKey, id: merchantId } = created.json as { apiKey: string; id: string };
    const changed = await stack.call('PATCH', '/v1/merchant', {
      token: apiKey,
      body: { twocheckout: { secretKey: SECRET_KEY, buyLinkSecretWord: BUY_LINK_WORD } },
    });
    expect(changed.status).toBe(200);
    expect(changed.json.warnings).toBeUndefined(); // the sandbox was told the new secrets
    const product = await stack.call('POST', '/v1/products', {
      token: apiKey,
      body: { name: 'Test product', price: '50.00', currency: 'RUB' },
    });

    // The buyer: order link, the sandbox's checkout, the card form as the page posts it, back to the shop.
    const order = await fetch(`${stack.apiUrl}/order/${product.json.id}`, { redirect: 'manual' });
    const checkout = order.headers.get('location')!;
    expect((await fetch(checkout)).status).toBe(200);
    const paid = await fetch(`${sandbox.url}/checkout/pay`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({
        link: new URL(checkout).search.slice(1),
        name: 'Иван Петров',
        email: 'buyer@example.com',
        card: CARD,
        expiry: EXPIRY,
        cvv: CVV,
      }),
    });
    expect(paid.status).toBe(302);
    expect((await fetch(paid.headers.get('location')!)).status).toBe(200);
    // A form sent with GET puts the card in the URL: the URL is logged, the card is not.
    await fetch(
      `${sandbox.url}/checkout/pay?${new URLSearchParams({ card: CARD, cvv: CVV, expiry: EXPIRY }).toString()}`,
    );

    const invoiceId = new URL(checkout).searchParams.get('order-ext-ref')!;
    await eventually(async () => ((await stack.statusOf(apiKey, invoiceId)) === 'paid' ? true : undefined), 30_000);
    const forged = await stack.postIpn(
      merchantId,
      signedIpnBody('not-the-secret-key', {
        refNo: '1',
        invoiceId,
        orderStatus: 'COMPLETE',
        total: '50.00',
        currency: 'RUB',
      }),
    );
    expect(forged.status).toBe(400);

    const dashboard = dashboardClient(stack.apiUrl);
    expect((await dashboard.signIn(apiKey)).status).toBe(303);
    expect((await dashboard.get('/dashboard/invoices')).status).toBe(200);

    // Every line is one JSON object with a level name, an ISO time and a message.
    const apiLines = api.lines.map((l) => JSON.parse(l) as Line);
    const sandboxLines = sandboxLog.lines.map((l) => JSON.parse(l) as Line);
    for (const line of [...apiLines, ...sandboxLines]) {
      expect(line).toMatchObject({
        level: expect.stringMatching(/^(trace|debug|info|warn|error|fatal)$/),
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        msg: expect.any(String),
      });
    }

    // None holds a secret, the API key, the admin token, the session, the card or its CVV and expiry.
    const everything = [...api.lines, ...sandboxLog.lines].join('\n');
    for (const secret of [
      SECRET_KEY,
      BUY_LINK_WORD,
      'a-first-secret-key-also-never-logged',
      'a-first-buy-link-word-also-never-logged',
      apiKey,
      ADMIN_TOKEN,
      dashboard.jar.get('session')!,
      dashboard.jar.get('csrf')!,
      CARD,
    ]) {
      expect(everything).not.toContain(secret);
    }
    const values = [...apiLines, ...sandboxLines].flatMap(strings);
    expect(values.filter((v) => v === CVV || v === EXPIRY || v.includes(`cvv=${CVV}`))).toEqual([]);

    // And the lines that would have held them are there, redacted: the logging was looked at, not skipped.
    const request = (lines: Line[], method: string, path: string) =>
      lines.filter((l) => l.req?.method === method && String(l.req?.url).split('?')[0] === path);
    expect(request(apiLines, 'POST', '/v1/merchants')).toEqual([
      expect.objectContaining({
        level: 'info',
        req: expect.objectContaining({ headers: expect.objectContaining({ authorization: '[redacted]' }) }),
        res: expect.objectContaining({ statusCode: 201 }),
      }),
    ]);
    expect(request(apiLines, 'POST', '/dashboard/login')).toEqual([
      expect.objectContaining({
        res: expect.objectContaining({ headers: expect.objectContaining({ 'set-cookie': '[redacted]' }) }),
      }),
    ]);
    expect(request(apiLines, 'GET', '/dashboard/invoices')[0]?.req.headers.cookie).toBe('[redacted]');
    expect(request(apiLines, 'POST', `/ipn/2checkout/${merchantId}`).map((l) => [l.level, l.res.statusCode])).toEqual(
      expect.arrayContaining([
        ['info', 200],
        ['warn', 400],
      ]),
    );
    expect(request(sandboxLines, 'POST', '/checkout/pay').map((l) => [l.res.statusCode, l.req.url])).toEqual([
      [302, '/checkout/pay'],
    ]);
    expect(request(sandboxLines, 'GET', '/checkout/pay').map((l) => l.req.url)).toEqual([
      '/checkout/pay?card=%5Bredacted%5D&cvv=%5Bredacted%5D&expiry=%5Bredacted%5D',
    ]);
    expect(request(sandboxLines, 'PUT', '/api/merchants/LOGSHOP')).toHaveLength(2);
    // The worker's authenticated look-up at the sandbox's REST API: its X-Avangate-Authentication is not logged.
    const lookUps = sandboxLines.filter((l) => String(l.req?.url).startsWith('/rest/6.0/orders/'));
    expect(lookUps.length).toBeGreaterThan(0);
    expect(lookUps.map((l) => l.req.headers['x-avangate-authentication'])).toEqual(lookUps.map(() => '[redacted]'));
  });
});
