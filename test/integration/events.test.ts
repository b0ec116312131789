import { API_VERSION } from '../../lib/api-version';
import { storedEvent } from '../../lib/events';
import { eventually } from '../helpers/eventually';
import { signedIpnBody } from '../helpers/ipn';
import { startStack } from '../helpers/stack';

type Stack = Awaited<ReturnType<typeof startStack>>;

interface Event {
  id: string;
  type: string;
  createdAt: string;
  apiVersion: string;
  livemode: boolean;
  data: { invoice: { id: string; status: string }; previousStatus: string | null };
}

describe('Events: GET /v1/events and the event store', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function events(apiKey: string, query = ''): Promise<{ data: Event[]; hasMore: boolean; nextCursor: string }> {
    const res = await stack.call('GET', `/v1/events${query}`, { token: apiKey });
    expect(res.status).toBe(200);
    return res.json;
  }

  /** A paid invoice taken through a chargeback that the merchant wins: IPNs as 2Checkout sends them. */
  async function paidDisputedAndWon(code: string, secretKey: string) {
    const m = await stack.newMerchant(code, secretKey);
    const paid = await stack.paidAtTwoCheckout({ ...m, secretKey }, `${code}-1`);
    const chargeback = (resolution: string, ipnDate: string) =>
      signedIpnBody(secretKey, {
        refNo: paid.refNo,
        invoiceId: paid.id,
        orderStatus: 'COMPLETE',
        total: '50.00',
        currency: 'RUB',
        chargebackResolution: resolution,
        ipnDate,
      });
    const reach = async (body: string, status: string) => {
      expect((await stack.postIpn(m.merchantId, body)).status).toBe(200);
      await eventually(async () => ((await stack.statusOf(m.apiKey, paid.id)) === status ? true : undefined));
    };
    await reach(paid.body, 'paid');
    await reach(chargeback('OPEN', '20261128130000'), 'disputed');
    await reach(chargeback('WON', '20261128140000'), 'paid');
    return { ...m, invoiceId: paid.id };
  }

  it('When an invoice is paid, disputed and the dispute won, then its events say so once each, with the invoice as it was then', async () => {
    const m = await paidDisputedAndWon('EVWON', 'key-ev-1');
    const list = await events(m.apiKey, `?invoiceId=${m.invoiceId}`);
    expect(list.data.map((e) => [e.type, e.data.previousStatus, e.data.invoice.status])).toEqual([
      ['invoice.dispute_won', 'disputed', 'paid'],
      ['invoice.disputed', 'paid', 'disputed'],
      ['invoice.paid', 'awaiting_payment', 'paid'],
      ['invoice.created', null, 'awaiting_payment'],
    ]);
    expect(list.hasMore).toBe(false);
    expect(list.nextCursor).toBeNull();
    const invoice = await stack.call('GET', `/v1/invoices/${m.invoiceId}`, { token: m.apiKey });
    const audit = invoice.json.events.filter((e: { eventId: string | null }) => e.eventId !== null).reverse();
    for (const [i, e] of list.data.entries()) {
      expect(e).toEqual({
        id: audit[i].eventId,
        type: e.type,
        createdAt: audit[i].at,
        apiVersion: API_VERSION,
        livemode: invoice.json.livemode,
        data: { invoice: expect.objectContaining({ id: m.invoiceId }), previousStatus: audit[i].from },
      });
      // one event read alone is the same event
      const one = await stack.call('GET', `/v1/events/${e.id}`, { token: m.apiKey });
      expect([one.status, one.json]).toEqual([200, e]);
    }
    // stored as written: the database holds the bytes, in the envelope's order
    const row = await stack
      .db('events')
      .where({ id: list.data[0]!.id })
      .first(stack.db.raw('payload::text as payload'));
    expect(JSON.parse(row.payload)).toEqual(list.data[0]);
    expect(row.payload.startsWith(`{"id":"${list.data[0]!.id}","type":"invoice.dispute_won",`)).toBe(true);
  });

  it('When events are listed by type, or a page at a time, then each page is newest first and the cursor reaches every one', async () => {
    const m = await stack.newMerchant('EVPAGE', 'key-ev-2');
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { json } = await stack.call('POST', '/v1/invoices', { token: m.apiKey, body: { productId: m.productId } });
      await stack.call('POST', `/v1/invoices/${json.id}/cancel`, { token: m.apiKey, body: {} });
      made.push(json.id);
    }
    const canceled = await eventually(async () => {
      const list = await events(m.apiKey, '?type=invoice.canceled');
      return list.data.length === 3 ? list : undefined;
    });
    expect(canceled.data.map((e) => [e.type, e.data.invoice.id])).toEqual(
      [...made].reverse().map((id) => ['invoice.canceled', id]),
    );

    const all = await events(m.apiKey, '?limit=100');
    expect(all.data).toHaveLength(6);
    const seen: Event[] = [];
    let page = await events(m.apiKey, '?limit=4');
    seen.push(...page.data);
    expect([page.data.length, page.hasMore]).toEqual([4, true]);
    page = await events(m.apiKey, `?limit=4&cursor=${page.nextCursor}`);
    seen.push(...page.data);
    expect([page.data.length, page.hasMore, page.nextCursor]).toEqual([2, false, null]);
    expect(seen).toEqual(all.data);
  });

  it('When another merchant asks, or the event is older than 30 days, then it is not there', async () => {
    const m = await stack.newMerchant('EVMINE', 'key-ev-3');
    const other = await stack.newMerchant('EVOTHER', 'key-ev-4');
    await stack.call('POST', '/v1/invoices', { token: m.apiKey, body: { productId: m.productId } });
    const [mine] = (await events(m.apiKey)).data;
    expect(mine).toMatchObject({ type: 'invoice.created' });

    expect((await events(other.apiKey)).data).toEqual([]);
    expect((await events(other.apiKey, `?invoiceId=${mine!.data.invoice.id}`)).data).toEqual([]);
    const foreign = await stack.call('GET', `/v1/events/${mine!.id}`, { token: other.apiKey });
    expect([foreign.status, foreign.json.error.code]).toEqual([404, 'not_found']);

    await stack
      .db('events')
      .where({ id: mine!.id })
      .update({ created_at: new Date(Date.now() - 31 * 86400_000) });
    expect((await events(m.apiKey)).data).toEqual([]);
    expect((await stack.call('GET', `/v1/events/${mine!.id}`, { token: m.apiKey })).status).toBe(404);
  });

  it('When the query is not valid, then 400 invalid_request, never a 500', async () => {
    const m = await stack.newMerchant('EVBAD', 'key-ev-5');
    for (const query of [
      '?limit=0',
      '?limit=101',
      '?limit=ten',
      '?type=invoice.shipped',
      '?cursor=not-a-cursor',
      `?cursor=${Buffer.from('["1; drop table events"]').toString('base64url')}`,
      '?invoiceId=%00',
      '?colour=red',
    ]) {
      const res = await stack.call('GET', `/v1/events${query}`, { token: m.apiKey });
      expect([query, res.status, res.json.error.code]).toEqual([query, 400, 'invalid_request']);
    }
    for (const id of ['42', 'evt_x', 'evt_1234567890123456']) {
      const res = await stack.call('GET', `/v1/events/${id}`, { token: m.apiKey });
      expect([id, res.status, res.json.error.code]).toEqual([id, 400, 'invalid_request']);
    }
    expect((await stack.call('GET', '/v1/events/evt_999999', { token: m.apiKey })).status).toBe(404);
    expect((await stack.call('GET', '/v1/events', {})).status).toBe(401);
  });

  it('When a status change from before the event store is prepared for a webhook, then its event is made then, once, and kept', async () => {
    const m = await stack.newMerchant('EVLEGACY', 'key-ev-6');
    const { json } = await stack.call('POST', '/v1/invoices', { token: m.apiKey, body: { productId: m.productId } });
    const [created] = (await events(m.apiKey)).data;
    // as if written before the events table existed
    await stack.db('events').where({ id: created!.id }).delete();
    expect((await events(m.apiKey)).data).toEqual([]);

    const auditId = Number(created!.id.slice('evt_'.length));
    const first = await storedEvent(stack.db, auditId);
    expect(JSON.parse(first!.payload)).toEqual(created);
    // frozen from then on: the invoice changes, the event does not
    await stack.call('POST', `/v1/invoices/${json.id}/cancel`, { token: m.apiKey, body: {} });
    await eventually(async () => ((await stack.statusOf(m.apiKey, json.id)) === 'canceled' ? true : undefined));
    expect((await storedEvent(stack.db, auditId))!.payload).toBe(first!.payload);
    expect((await events(m.apiKey, '?type=invoice.created')).data).toEqual([created]);
  });
});
