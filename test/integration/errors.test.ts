/**
 * Issue 15, errors: over real HTTP, each kind of error answers `{ error: { code, message, param?, errors?, docUrl,
 * requestId } }`; `docUrl` opens that code's entry, `requestId` is the X-Request-Id header and the log line's id,
 * 429 and 503 say when to retry.
 */
import { Client, Connection } from '@temporalio/client';
import { createLogger } from '../../lib/logger';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let shop: Awaited<ReturnType<Stack['newMerchant']>>;
/** The api's log, one JSON line each. */
const lines: string[] = [];
const WRONG_KEYS_ALLOWED = 3;

beforeAll(async () => {
  stack = await startStack({
    rateLimits: { badApiKey: WRONG_KEYS_ALLOWED },
    trustProxy: 'loopback',
    logger: createLogger({
      name: 'api',
      destination: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) },
    }),
  });
  shop = await stack.newMerchant('ERRORS1', 'errors-secret-key');
}, 120_000);
afterAll(() => stack?.close());

/** Each test its own client address, so that one test's wrong keys do not hold another's requests. */
let clients = 0;
const newClient = () => ({ 'X-Forwarded-For': `203.0.113.${++clients}` });

type Answer = Awaited<ReturnType<Stack['call']>>;

/** What every error answer carries; its docUrl opens the errors page at this code's entry. */
async function expectError(answer: Answer, status: number, code: string) {
  const requestId = answer.headers.get('x-request-id');
  expect({ status: answer.status, requestId }).toEqual({ status, requestId: expect.stringMatching(/^[\w.-]+$/) });
  expect(answer.json.error).toMatchObject({
    code,
    message: expect.stringMatching(/\w/),
    docUrl: `${stack.apiUrl}/docs/errors#${code}`,
    requestId,
  });
  const page = await fetch(answer.json.error.docUrl);
  expect([page.status, page.headers.get('content-type')]).toEqual([200, expect.stringMatching(/^text\/html/)]);
  expect(await page.text()).toMatch(
    new RegExp(`<section id="${code}">\\s*<h2><code>${code}</code> <small>HTTP [^<]*${status}`),
  );
}

describe('errors over HTTP', () => {
  it('When an invoice body has several invalid fields, then 400 lists each by its dotted path, param the first', async () => {
    const answer = await stack.call('POST', '/v1/invoices', {
      token: shop.apiKey,
      headers: newClient(),
      body: { items: [{ name: 'Tea', price: '0.00', quantity: 0 }], currency: 'RUB', customerEmail: 'nobody' },
    });
    await expectError(answer, 400, 'invalid_request');
    const { errors, param, message } = answer.json.error;
    expect([...errors].sort((a, b) => a.field.localeCompare(b.field))).toEqual([
      { field: 'customerEmail', message: expect.any(String) },
      { field: 'items.0.price', message: 'must be positive' },
      { field: 'items.0.quantity', message: expect.any(String) },
    ]);
    expect(param).toBe(errors[0].field);
    expect(message).toBe(errors.map((e: { field: string; message: string }) => `${e.field}: ${e.message}`).join('; '));
  });

  it('When the body as a whole is wrong or not JSON, then the field is `body`, or the code says invalid_json', async () => {
    const notAnObject = await stack.call('POST', '/v1/products', {
      token: shop.apiKey,
      body: [],
      headers: newClient(),
    });
    await expectError(notAnObject, 400, 'invalid_request');
    expect(notAnObject.json.error).toMatchObject({
      param: 'body',
      errors: [{ field: 'body', message: expect.any(String) }],
    });

    const broken = await fetch(`${stack.apiUrl}/v1/products`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${shop.apiKey}`, 'Content-Type': 'application/json' },
      body: '{"name":',
    });
    await expectError(
      { status: broken.status, headers: broken.headers, json: await broken.json(), text: '' },
      400,
      'invalid_json',
    );
  });

  it('When an invoice or an endpoint does not exist, then 404 not_found', async () => {
    const invoice = await stack.call('GET', '/v1/invoices/inv_doesnotexist', { token: shop.apiKey });
    await expectError(invoice, 404, 'not_found');
    expect(invoice.json.error.message).toBe('Invoice not found');
    const endpoint = await stack.call('GET', '/v1/no-such-thing', { token: shop.apiKey });
    await expectError(endpoint, 404, 'not_found');
    expect(endpoint.json.error.message).toBe('No such endpoint');
  });

  it('When the key is missing or wrong, then 401; past the limit of wrong keys, 429 with Retry-After', async () => {
    const client = newClient();
    await expectError(await stack.call('GET', '/v1/merchant', { headers: client }), 401, 'unauthorized');
    for (let i = 1; i < WRONG_KEYS_ALLOWED; i++)
      expect((await stack.call('GET', '/v1/merchant', { token: `sk_wrong${i}`, headers: client })).status).toBe(401);
    const refused = await stack.call('GET', '/v1/merchant', { token: shop.apiKey, headers: client });
    await expectError(refused, 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('When the invoice workflow cannot be started, then 503 service_unavailable with Retry-After; the same key then finishes it', async () => {
    const temporal = stack.deps.temporal;
    stack.deps.temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 }) });
    const create = () =>
      stack.call('POST', '/v1/invoices', {
        token: shop.apiKey,
        headers: { ...newClient(), 'Idempotency-Key': 'errors-503' },
        body: { productId: shop.productId },
      });
    let unavailable: Answer;
    try {
      unavailable = await create();
    } finally {
      stack.deps.temporal = temporal;
    }
    await expectError(unavailable, 503, 'service_unavailable');
    expect(unavailable.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(unavailable.json.error.message).not.toMatch(/temporal/i);

    const retried = await create();
    expect([retried.status, retried.json.status]).toEqual([201, 'awaiting_payment']);
  });

  it('When a request has an id of its own, then the answer, its body and its log line carry that id; others get one', async () => {
    const answer = await stack.call('GET', '/v1/invoices/inv_nope', {
      token: shop.apiKey,
      headers: { 'X-Request-Id': 'shop-req-42' },
    });
    expect([answer.headers.get('x-request-id'), answer.json.error.requestId]).toEqual(['shop-req-42', 'shop-req-42']);
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.req?.id === 'shop-req-42');
    expect(logged).toMatchObject({
      req: { id: 'shop-req-42', url: '/v1/invoices/inv_nope' },
      res: { statusCode: 404 },
    });

    const ok = await stack.call('GET', '/v1/merchant', { token: shop.apiKey });
    expect([ok.status, ok.headers.get('x-request-id')]).toEqual([200, expect.stringMatching(/^[0-9a-f-]{36}$/)]);
  });
});
