import { Client, Connection } from '@temporalio/client';
import { purgeExpiredIdempotencyKeys } from '../../api/idempotency';
import { up as keysFromBefore } from '../../migrations/20261202000401_idempotency_keys_from_before';
import { workflowIdOf } from '../../workflows/shared';
import { eventually } from '../helpers/eventually';
import { startStack, type Stack } from '../helpers/stack';

const DAY_MS = 24 * 3600_000;

/**
 * Idempotency-Key on `POST /v1/invoices` and `POST /v1/invoices/{id}/refunds` (api/idempotency.ts), over real HTTP,
 * PostgreSQL and Temporal: replays answer the first answer byte for byte, another request under the key is 422,
 * one still running is 409, keys are forgotten after 24 hours, and each merchant has keys of its own.
 */
describe('Idempotency-Key, as the IETF draft says', () => {
  jest.setTimeout(120_000);
  let stack: Stack;
  let shop: Awaited<ReturnType<Stack['newMerchant']>>;
  let other: Awaited<ReturnType<Stack['newMerchant']>>;
  let refNos = 700000;
  let apiClockOffsetMs = 0; // lets a test move the api a day on, to see a key forgotten
  const SECRET_KEY = 'idempotency-secret';

  beforeAll(async () => {
    stack = await startStack({ apiClock: () => new Date(Date.now() + apiClockOffsetMs) });
    shop = await stack.newMerchant('250000000501', SECRET_KEY);
    other = await stack.newMerchant('250000000502', 'other-secret');
  });
  afterAll(async () => {
    await stack?.close();
  });
  afterEach(() => {
    apiClockOffsetMs = 0;
  });

  const createInvoice = (
    key: string | undefined,
    body: unknown = { productId: shop.productId },
    apiKey = shop.apiKey,
  ) =>
    stack.call('POST', '/v1/invoices', {
      token: apiKey,
      body,
      ...(key !== undefined && { headers: { 'Idempotency-Key': key } }),
    });
  const refund = (invoiceId: string, key: string, body: unknown = {}) =>
    stack.call('POST', `/v1/invoices/${invoiceId}/refunds`, {
      token: shop.apiKey,
      body,
      headers: { 'Idempotency-Key': key },
    });
  const invoiceCount = async (merchantId = shop.merchantId) =>
    Number((await stack.db('invoices').where({ merchant_id: merchantId }).count({ n: '*' }))[0]!.n);
  const keyRow = (key: string, merchantId = shop.merchantId) =>
    stack.db('idempotency_keys').where({ merchant_id: merchantId, key }).first();
  const paidInvoice = async () => {
    const { id, body } = await stack.paidAtTwoCheckout({ ...shop, secretKey: SECRET_KEY }, String(refNos++));
    expect((await stack.postIpn(shop.merchantId, body)).status).toBe(200);
    await eventually(async () => ((await stack.statusOf(shop.apiKey, id)) === 'paid' ? true : undefined));
    return id;
  };
  /** Holds a row lock in a transaction of the test's own until `release` is called: a request needing it waits. */
  const holdLock = async (sql: string, id: string) => {
    const trx = await stack.db.transaction();
    await trx.raw(sql, [id]);
    return { release: () => trx.rollback() };
  };

  it('When an invoice request is retried after the invoice changed, then the replay is the first answer byte for byte, marked Idempotent-Replayed', async () => {
    const before = await invoiceCount();
    const body = { productId: shop.productId, quantity: 1 };
    const first = await createInvoice('replay-1', body);
    expect(first.status).toBe(201);
    expect(first.headers.get('Idempotent-Replayed')).toBeNull();
    expect(first.json).toMatchObject({ status: 'awaiting_payment' });

    const canceled = await stack.call('POST', `/v1/invoices/${first.json.id}/cancel`, { token: shop.apiKey, body: {} });
    expect(canceled).toMatchObject({ status: 200, json: { status: 'canceled' } });

    const again = await createInvoice('replay-1', body);
    expect([again.status, again.headers.get('Idempotent-Replayed'), again.text]).toEqual([201, 'true', first.text]);
    expect(again.headers.get('Content-Type')).toMatch(/^application\/json/);
    // the same request with its keys in another order is the same request
    const reordered = await createInvoice('replay-1', { quantity: 1, productId: shop.productId });
    expect([reordered.status, reordered.text]).toEqual([201, first.text]);
    expect(await invoiceCount()).toBe(before + 1);
    expect(await keyRow('replay-1')).toMatchObject({ state: 'done', resource_id: first.json.id, response_status: 201 });
  });

  it('When a refund request is retried after the refund moved on, then the replay is the first answer; without a key nothing is kept', async () => {
    const id = await paidInvoice();
    const first = await refund(id, 'refund-replay-1', { amount: '10.00' });
    expect(first).toMatchObject({ status: 202, json: { status: 'requested', amount: '10.00' } });
    await eventually(async () => {
      const { json } = await stack.call('GET', `/v1/invoices/${id}/refunds`, { token: shop.apiKey });
      return json.data[0].status !== 'requested' ? true : undefined;
    });
    const again = await refund(id, 'refund-replay-1', { amount: '10.00' });
    expect([again.status, again.headers.get('Idempotent-Replayed'), again.text]).toEqual([202, 'true', first.text]);
    expect(await stack.db('refunds').where({ invoice_id: id })).toHaveLength(1);

    const before = await stack.db('idempotency_keys').count({ n: '*' });
    expect((await createInvoice(undefined)).status).toBe(201);
    expect(await stack.db('idempotency_keys').count({ n: '*' })).toEqual(before);
  });

  it('When a key comes again with another body, method or path, then 422 idempotency_key_reused and nothing is made', async () => {
    const first = await createInvoice('reused-1');
    expect(first.status).toBe(201);
    const before = await invoiceCount();
    const cases = [
      await createInvoice('reused-1', { productId: shop.productId, quantity: 2 }),
      await createInvoice('reused-1', { items: [{ name: 'X', price: '1.00', quantity: 1 }], currency: 'RUB' }),
      await refund(first.json.id, 'reused-1'),
    ];
    for (const r of cases) {
      expect([r.status, r.json.error.code]).toEqual([422, 'idempotency_key_reused']);
      expect(r.headers.get('Idempotent-Replayed')).toBeNull();
    }
    expect(await invoiceCount()).toBe(before);
    // the first request still replays
    expect((await createInvoice('reused-1')).text).toBe(first.text);
  });

  it('When two invoice requests with one key run at once, then the second gets 409 idempotency_key_in_flight at once, and one invoice is made', async () => {
    const before = await invoiceCount();
    // the first request's insert waits for the product row (its foreign key check) while the test holds it
    const lock = await holdLock('select id from products where id = ? for update', shop.productId);
    let first: ReturnType<typeof createInvoice> | undefined;
    try {
      first = createInvoice('concurrent-1');
      await eventually(async () => ((await keyRow('concurrent-1'))?.state === 'in_flight' ? true : undefined));
      const startedAt = Date.now();
      const second = await createInvoice('concurrent-1');
      expect([second.status, second.json.error.code]).toEqual([409, 'idempotency_key_in_flight']);
      expect(Date.now() - startedAt).toBeLessThan(5_000); // it does not wait for the first
    } finally {
      await lock.release();
    }
    const answered = await first;
    expect(answered.status).toBe(201);
    const replay = await createInvoice('concurrent-1');
    expect([replay.status, replay.headers.get('Idempotent-Replayed'), replay.text]).toEqual([
      201,
      'true',
      answered.text,
    ]);
    expect(await invoiceCount()).toBe(before + 1);
  });

  it('When two refund requests with one key run at once, then the second gets 409 idempotency_key_in_flight, and one refund is made', async () => {
    const id = await paidInvoice();
    // the first request waits for the invoice row, which it locks to check what is left to refund
    const lock = await holdLock('select id from invoices where id = ? for update', id);
    let first: ReturnType<typeof refund> | undefined;
    try {
      first = refund(id, 'concurrent-refund-1', { amount: '5.00' });
      await eventually(async () => ((await keyRow('concurrent-refund-1'))?.state === 'in_flight' ? true : undefined));
      const second = await refund(id, 'concurrent-refund-1', { amount: '5.00' });
      expect([second.status, second.json.error.code]).toEqual([409, 'idempotency_key_in_flight']);
    } finally {
      await lock.release();
    }
    expect((await first).status).toBe(202);
    expect(await stack.db('refunds').where({ invoice_id: id })).toHaveLength(1);
  });

  it('When 24 hours have passed since a key was first used, then it is forgotten: another request may use it, and the purge deletes it', async () => {
    const first = await createInvoice('expiring-1');
    expect(first.status).toBe(201);
    const row = await keyRow('expiring-1');
    expect(row.expires_at.getTime() - row.created_at.getTime()).toBe(DAY_MS);

    apiClockOffsetMs = DAY_MS - 60_000; // a minute before: still kept
    const kept = await createInvoice('expiring-1');
    expect([kept.status, kept.text]).toEqual([201, first.text]);
    expect((await createInvoice('expiring-1', { productId: shop.productId, quantity: 3 })).status).toBe(422);

    apiClockOffsetMs = DAY_MS + 60_000; // a minute after: forgotten
    const reused = await createInvoice('expiring-1', { productId: shop.productId, quantity: 3 });
    expect(reused.status).toBe(201);
    expect(reused.headers.get('Idempotent-Replayed')).toBeNull();
    expect(reused.json.id).not.toBe(first.json.id);

    apiClockOffsetMs = 0;
    expect((await createInvoice('expiring-2')).status).toBe(201);
    expect(await purgeExpiredIdempotencyKeys(stack.deps)).toBe(0);
    apiClockOffsetMs = DAY_MS + 1_000;
    expect(await purgeExpiredIdempotencyKeys(stack.deps)).toBeGreaterThanOrEqual(1);
    expect(await keyRow('expiring-2')).toBeUndefined();
  });

  it('When another merchant uses the same key, then it is a key of its own: its own request, its own invoice', async () => {
    const mine = await createInvoice('shared-key-1');
    const theirs = await createInvoice('shared-key-1', { productId: other.productId, quantity: 2 }, other.apiKey);
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('Idempotent-Replayed')).toBeNull();
    expect(theirs.json.id).not.toBe(mine.json.id);
    expect((await createInvoice('shared-key-1')).text).toBe(mine.text);
    expect((await keyRow('shared-key-1', other.merchantId)).resource_id).toBe(theirs.json.id);
  });

  it('When a request fails with a 4xx, then its key is not used up: the corrected request may take it', async () => {
    const missing = await createInvoice('corrected-1', { productId: 'prd_nonexistent' });
    expect([missing.status, missing.json.error.code]).toEqual([404, 'not_found']);
    expect(await keyRow('corrected-1')).toBeUndefined();
    const corrected = await createInvoice('corrected-1');
    expect(corrected.status).toBe(201);
    expect(corrected.headers.get('Idempotent-Replayed')).toBeNull();

    const id = await paidInvoice();
    const tooMuch = await refund(id, 'corrected-refund-1', { amount: '500.00' });
    expect([tooMuch.status, tooMuch.json.error.code]).toEqual([422, 'refund_exceeds_remaining']);
    expect((await refund(id, 'corrected-refund-1', { amount: '5.00' })).status).toBe(202);
  });

  it('When Temporal cannot be reached after the invoice was recorded, then 503, and a retry with the key finishes that invoice, never a second', async () => {
    const before = await invoiceCount();
    const temporal = stack.deps.temporal;
    stack.deps.temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 }) });
    let failed;
    try {
      failed = await createInvoice('outage-1');
    } finally {
      stack.deps.temporal = temporal;
    }
    expect(failed.status).toBe(503);
    const recorded = await keyRow('outage-1');
    expect(recorded).toMatchObject({ state: 'in_flight' });
    expect(recorded.resource_id).toMatch(/^inv_/);

    const retried = await createInvoice('outage-1');
    expect(retried.status).toBe(201);
    expect(retried.headers.get('Idempotent-Replayed')).toBeNull();
    expect(retried.json.id).toBe(recorded.resource_id);
    await stack.env.client.workflow.getHandle(workflowIdOf(retried.json.id)).describe(); // its workflow runs now
    expect((await createInvoice('outage-1')).headers.get('Idempotent-Replayed')).toBe('true');
    expect(await invoiceCount()).toBe(before + 1);
  });

  it('When Temporal cannot be reached after the refund was recorded, then 503, and a retry with the key hands that refund over, never a second', async () => {
    const id = await paidInvoice();
    const temporal = stack.deps.temporal;
    stack.deps.temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 }) });
    let failed;
    try {
      failed = await refund(id, 'outage-refund-1', { amount: '7.00' });
    } finally {
      stack.deps.temporal = temporal;
    }
    expect(failed.status).toBe(503);
    const retried = await refund(id, 'outage-refund-1', { amount: '7.00' });
    expect(retried).toMatchObject({ status: 202, json: { amount: '7.00' } });
    expect(retried.json.id).toBe((await keyRow('outage-refund-1')).resource_id);
    expect(await stack.db('refunds').where({ invoice_id: id })).toHaveLength(1);
    await eventually(async () => {
      const r = await stack.db('refunds').where({ id: retried.json.id }).first();
      return r.status !== 'requested' ? r : undefined; // handed over: the workflow sent it to 2Checkout
    });
  });
  it('When a request made before idempotency_keys existed is retried after the deploy, then it finishes that invoice or refund, never a second; another path is refused', async () => {
    // as an invoice and a refund were recorded before: the key on their own row, none in idempotency_keys
    const made = await createInvoice('before-1');
    const paid = await paidInvoice();
    const refunded = await refund(paid, 'before-2', { amount: '5.00' });
    expect([made.status, refunded.status]).toEqual([201, 202]);
    await stack
      .db('idempotency_keys')
      .where({ merchant_id: shop.merchantId })
      .whereIn('key', ['before-1', 'before-2'])
      .delete();
    await stack.db('invoices').where({ id: made.json.id }).update({ idempotency_key: 'before-1' });
    await stack.db('refunds').where({ id: refunded.json.id }).update({ idempotency_key: 'before-2' });
    await keysFromBefore(stack.db);
    const invoices = await invoiceCount();

    const again = await createInvoice('before-1');
    expect([again.status, again.json.id]).toEqual([201, made.json.id]);
    const refundAgain = await refund(paid, 'before-2', { amount: '5.00' });
    expect([refundAgain.status, refundAgain.json.id]).toEqual([202, refunded.json.id]);
    expect(await invoiceCount()).toBe(invoices);
    expect(await stack.db('refunds').where({ invoice_id: paid })).toHaveLength(1);
    // the refund's key on another invoice's path is not that request
    const elsewhere = await refund(made.json.id, 'before-2', { amount: '5.00' });
    expect([elsewhere.status, elsewhere.json.error.code]).toEqual([422, 'idempotency_key_reused']);
  });
});
