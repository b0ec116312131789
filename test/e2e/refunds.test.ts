import { eventually } from '../helpers/eventually';
import { completedOrder, sandboxShop, startSandbox, type RunningSandbox } from '../helpers/sandbox';
import { startStack, type Stack } from '../helpers/stack';

/**
 * Refunds from the shop: `POST /v1/invoices/{id}/refunds` → the invoice's workflow → the sandbox's
 * `POST /rest/6.0/orders/{RefNo}/refund/` → its REFUND IPN → the invoice. Everything real: api, worker, Temporal,
 * PostgreSQL, the sandbox over HTTP.
 */
describe('refunds asked for by the shop, through 2Checkout', () => {
  jest.setTimeout(180_000);
  let sandbox: RunningSandbox;
  let stack: Stack;
  let apiKey: string;
  let otherKey: string;
  let productId: string;
  let shop: Awaited<ReturnType<typeof sandboxShop>>;

  beforeAll(async () => {
    sandbox = await startSandbox({ settleDelayMs: 1500 });
    stack = await startStack({ sandboxUrl: sandbox.url });
    shop = await sandboxShop(stack, sandbox.url, '250000000077');
    // 2Checkout approves a refund a while after registering it: here when the test says so (`approveAtSandbox`)
    await shop.tellSandbox({ holdRefunds: true });
    apiKey = shop.apiKey;
    productId = shop.productId;
    otherKey = (await sandboxShop(stack, sandbox.url, '250000000078')).apiKey;
  });
  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
  });

  const getInvoice = async (id: string) => (await stack.call('GET', `/v1/invoices/${id}`, { token: apiKey })).json;
  const invoiceWhen = (id: string, status: string) =>
    eventually(
      async () => ((await getInvoice(id)).status === status ? getInvoice(id) : undefined),
      30_000,
      `${id} ${status}`,
    );
  const refundWhen = (invoiceId: string, refundId: string, status: string) =>
    eventually(
      async () => {
        const r = (await getInvoice(invoiceId)).refunds.find((x: { id: string }) => x.id === refundId);
        if (r?.status === status) return r;
        throw new Error(`it is ${r?.status}: ${r?.statusReason}`); // said when the wait times out
      },
      30_000,
      `refund ${refundId} ${status}`,
    );
  /** 2Checkout approves the refund pending on the order: its REFUND notification follows. */
  const approveAtSandbox = async (refNo: string) => {
    const r = await fetch(`${sandbox.url}/api/orders/${refNo}/approve-refund`, { method: 'POST' });
    expect(r.status).toBe(200);
  };
  const refund = (invoiceId: string, key: string | undefined, body: unknown = {}, token = apiKey) =>
    stack.call('POST', `/v1/invoices/${invoiceId}/refunds`, {
      token,
      body,
      ...(key !== undefined && { headers: { 'Idempotency-Key': key } }),
    });
  const refundsAtSandbox = (refNo: string) => sandbox.orders.get(refNo)?.refunds ?? [];

  const completedInvoice = () => completedOrder(stack, sandbox, shop);

  it('When the shop refunds part, then the rest, then 2Checkout records both and the invoice ends partially refunded, then refunded; a retried request refunds once', async () => {
    const { id, refNo } = await completedInvoice();

    const first = await refund(id, 'refund-1', { amount: '20.00', reason: 'Late delivery' });
    expect(first.status).toBe(202);
    expect(first.json).toMatchObject({
      invoiceId: id,
      amount: '20.00',
      currency: 'RUB',
      status: 'requested',
      source: 'api',
    });
    // the same request again (a client retrying after a lost answer): the same refund
    const again = await refund(id, 'refund-1', { amount: '20.00', reason: 'Late delivery' });
    expect([again.status, again.headers.get('Idempotent-Replayed'), again.text]).toEqual([202, 'true', first.text]);

    const pending = await refundWhen(id, first.json.id, 'pending');
    expect(pending.statusReason).toMatch(/2Checkout registered the refund of 20\.00 RUB/);
    expect((await getInvoice(id)).status).toBe('paid'); // only 2Checkout's notification changes the invoice
    // 2Checkout takes one refund of an order at a time
    const meanwhile = await refund(id, 'refund-meanwhile', { amount: '1.00' });
    expect(meanwhile.status).toBe(409);
    expect(meanwhile.json.error.code).toBe('refund_in_progress');

    await approveAtSandbox(refNo);
    expect(await invoiceWhen(id, 'partially_refunded')).toMatchObject({ refundedAmount: '20.00' });
    expect(await refundWhen(id, first.json.id, 'succeeded')).toMatchObject({ amount: '20.00' });
    expect(refundsAtSandbox(refNo)).toEqual([
      expect.objectContaining({
        amount: '20.00',
        comment: 'Late delivery',
        reason: 'Other',
        via: 'api',
        status: 'approved',
      }),
    ]);
    const [line] = refundsAtSandbox(refNo)[0]!.items;
    expect(line).toMatchObject({ LineItemReference: expect.stringMatching(/^[0-9a-f]{40}$/), Quantity: 1, Amount: 20 });

    // more than is left: refused here, nothing sent
    const over = await refund(id, 'refund-over', { amount: '30.01' });
    expect(over.status).toBe(422);
    expect(over.json.error).toMatchObject({ code: 'refund_exceeds_remaining' });
    expect(over.json.error.message).toContain('30.00 RUB of 50.00 RUB');

    // the rest, without an amount: what is left
    const rest = await refund(id, 'refund-2');
    expect(rest.status).toBe(202);
    expect(rest.json.amount).toBe('30.00');
    await refundWhen(id, rest.json.id, 'pending');
    await approveAtSandbox(refNo);
    expect(await invoiceWhen(id, 'refunded')).toMatchObject({ refundedAmount: '50.00' });
    await refundWhen(id, rest.json.id, 'succeeded');
    expect(refundsAtSandbox(refNo).map((r) => r.amount)).toEqual(['20.00', '30.00']);
    expect(sandbox.orders.get(refNo)!.status).toBe('REFUND');
    // nothing pending any more: nothing to approve
    expect((await fetch(`${sandbox.url}/api/orders/${refNo}/approve-refund`, { method: 'POST' })).status).toBe(409);

    // retried once more after all that: the first answer again, as it was then, and 2Checkout holds two refunds
    const late = await refund(id, 'refund-1', { amount: '20.00', reason: 'Late delivery' });
    expect([late.status, late.headers.get('Idempotent-Replayed'), late.text]).toEqual([202, 'true', first.text]);
    expect(late.json).toMatchObject({ id: first.json.id, status: 'requested' });
    expect(refundsAtSandbox(refNo)).toHaveLength(2);
    const after = await getInvoice(id);
    expect(after.refunds.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual([
      [first.json.id, 'succeeded'],
      [rest.json.id, 'succeeded'],
    ]);
    // the refunds list pages like every list, newest first
    const page1 = await stack.call('GET', `/v1/invoices/${id}/refunds?limit=1`, { token: apiKey });
    expect(page1.json).toMatchObject({ data: [{ id: rest.json.id }], hasMore: true });
    const page2 = await stack.call('GET', `/v1/invoices/${id}/refunds?limit=1&cursor=${page1.json.nextCursor}`, {
      token: apiKey,
    });
    expect(page2.json).toEqual({
      data: [expect.objectContaining({ id: first.json.id })],
      hasMore: false,
      nextCursor: null,
    });
    // the audit trail tells the story
    expect(after.events.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['refund_requested', 'refund_pending', 'refund']),
    );
    // a refunded invoice refunds no more
    const more = await refund(id, 'refund-3', { amount: '1.00' });
    expect(more.status).toBe(409);
    expect(more.json.error.code).toBe('invoice_not_refundable');
  });

  it('When 2Checkout refuses (the order is older than its refund period), then the refund fails with its reason and the invoice stays paid', async () => {
    const { id, refNo } = await completedInvoice();
    sandbox.orders.get(refNo)!.createdAt = new Date(Date.now() - 100 * 86_400_000);
    const asked = await refund(id, 'refund-old');
    expect(asked.status).toBe(202);
    const failed = await refundWhen(id, asked.json.id, 'failed');
    expect(failed.statusReason).toContain('The allowed period to request a new refund for this order has expired.');
    expect(await getInvoice(id)).toMatchObject({ status: 'paid', refundedAmount: '0.00' });
    expect(refundsAtSandbox(refNo)).toEqual([]);
    // a failed refund holds nothing back: the merchant may ask again (and be told again)
    expect((await refund(id, 'refund-old-2')).status).toBe(202);
  });

  it('When a request is malformed, reuses a key with another body, names an unpaid invoice or another shop\u2019s, then it is refused and nothing is recorded', async () => {
    const { id, refNo } = await completedInvoice();
    const unpaid = (await stack.call('POST', '/v1/invoices', { token: apiKey, body: { productId } })).json.id;
    // sent at once, so each with a key of its own: one key used by two different requests at once is refused (422)
    const cases: [Promise<{ status: number; json: { error: { code: string } } }>, number, string][] = [
      [refund(id, undefined), 400, 'invalid_request'],
      [refund(id, 'k-bad-1', { amount: '-1.00' }), 400, 'invalid_request'],
      [refund(id, 'k-bad-2', { amount: '1.001' }), 400, 'invalid_request'],
      [refund(id, 'k-bad-3', { amount: '0.00' }), 400, 'invalid_request'],
      [refund(id, 'k-bad-4', { amount: 20 }), 400, 'invalid_request'],
      [refund(id, 'k-bad-5', { reason: 'x'.repeat(151) }), 400, 'invalid_request'],
      [refund(id, 'k-bad-6', { surprise: true }), 400, 'invalid_request'],
      [refund(unpaid, 'k-unpaid'), 409, 'invoice_not_refundable'],
      [refund(id, 'k-other', {}, otherKey), 404, 'not_found'],
      [refund('inv_nonexistent', 'k-none'), 404, 'not_found'],
    ];
    for (const [call, status, code] of cases) {
      const r = await call;
      expect([r.status, r.json.error.code]).toEqual([status, code]);
    }
    const first = await refund(id, 'k-reused', { amount: '5.00' });
    expect(first.status).toBe(202);
    const reused = await refund(id, 'k-reused', { amount: '6.00' });
    expect([reused.status, reused.json.error.code]).toEqual([422, 'idempotency_key_reused']);

    await refundWhen(id, first.json.id, 'pending');
    await approveAtSandbox(refNo);
    await refundWhen(id, first.json.id, 'succeeded');
    expect(refundsAtSandbox(refNo).map((r) => r.amount)).toEqual(['5.00']);
    expect(await stack.db('refunds').where({ invoice_id: id })).toHaveLength(1);
    expect(await stack.db('refunds').where({ invoice_id: unpaid })).toEqual([]);
  });

  it('When 2Checkout refunds from its Control Panel, then the invoice lists that refund too', async () => {
    const { id, refNo } = await completedInvoice();
    const r = await fetch(`${sandbox.url}/api/orders/${refNo}/refund`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ amount: '10.00' }),
    });
    expect(r.status).toBe(200);
    await invoiceWhen(id, 'partially_refunded');
    expect((await getInvoice(id)).refunds).toEqual([
      expect.objectContaining({ amount: '10.00', status: 'succeeded', source: 'twocheckout' }),
    ]);
  });
});
