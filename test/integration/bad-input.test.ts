/**
 * DESIGN.md §8: bad input of any kind is a 4xx with a clear message, and changes nothing. Each request below answered
 * 500 before (issue 13, row 3); test/integration/fuzz.test.ts then looks for more with schemathesis.
 */
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let merchant: Awaited<ReturnType<Stack['newMerchant']>>;

beforeAll(async () => {
  stack = await startStack();
  merchant = await stack.newMerchant('BADINPUT1', 'bad-input-secret-key');
  await stack.call('POST', '/v1/invoices', { token: merchant.apiKey, body: { productId: merchant.productId } });
}, 120_000);
afterAll(() => stack?.close());

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

test.each([
  ['an invoice cursor naming 31 February', `/v1/invoices?cursor=${base64url(['2026-02-31 10:00:00+00', 'inv_x'])}`],
  ['an invoice cursor naming hour 25', `/v1/invoices?cursor=${base64url(['2026-11-30 25:00:00+00', 'inv_x'])}`],
  ['an invoice cursor with a NUL', `/v1/invoices?cursor=${base64url(['2026-11-30 10:00:00+00', 'inv_\u0000'])}`],
  ['a webhook-deliveries cursor beyond bigint', '/v1/webhook-deliveries?cursor=1000000000000000000000'],
  ['a webhook-deliveries invoice id with a NUL', '/v1/webhook-deliveries?invoiceId=inv_%00'],
  ['an IPN log since the year -271821', '/v1/ipn-events?since=-271821-04-20T00:00:00Z'],
  ['an IPN log since a non-date', '/v1/ipn-events?since=yesterday'],
])('%s is a 400 with a message', async (_what, path) => {
  const answer = await stack.call('GET', path, { token: merchant.apiKey });
  expect(answer.status).toBe(400);
  expect(answer.json.error.code).toBe('invalid_request');
  expect(answer.json.error.message).toMatch(/\w/);
});

test('resending an event whose id is beyond bigint is a 400, and starts nothing', async () => {
  const answer = await stack.call('POST', `/v1/webhook-events/evt_${'9'.repeat(25)}/resend`, {
    token: merchant.apiKey,
  });
  expect(answer.status).toBe(400);
  expect(answer.json.error.message).toMatch(/event id/);
});

test('a NUL in an invoice id of the path is a 4xx', async () => {
  const answer = await stack.call('GET', '/v1/invoices/inv_%00', { token: merchant.apiKey });
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
});

test('a valid since still lists, and a real cursor still pages', async () => {
  const since = await stack.call('GET', '/v1/ipn-events?since=2026-01-01', { token: merchant.apiKey });
  expect(since.status).toBe(200);
  await stack.call('POST', '/v1/invoices', { token: merchant.apiKey, body: { productId: merchant.productId } });
  const first = await stack.call('GET', '/v1/invoices?limit=1', { token: merchant.apiKey });
  expect(first.json.nextCursor).toEqual(expect.any(String));
  const next = await stack.call('GET', `/v1/invoices?limit=1&cursor=${first.json.nextCursor}`, {
    token: merchant.apiKey,
  });
  expect(next.status).toBe(200);
  expect(next.json.data[0].id).not.toBe(first.json.data[0].id);
});
