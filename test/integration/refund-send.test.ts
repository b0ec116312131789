import { newId } from '../../lib/ids';
import { activityHarness } from '../helpers/activity-harness';

/**
 * A refund reaches 2Checkout at most once, whatever happens to the request or the worker: the activity that sends it
 * runs on a real PostgreSQL against a real HTTP stand-in for 2Checkout's REST API, answering as told.
 */
describe('sendRefund: at most once to 2Checkout', () => {
  const h = activityHarness(new Map([['M', 'k']]));
  let activities: ReturnType<typeof h.activities>;
  let merchantId: string;

  beforeAll(async () => {
    await h.start();
    activities = h.activities();
    merchantId = await h.newMerchant();
  });
  afterAll(() => h.stop());
  beforeEach(() => h.twoCheckout.answerRefunds('accept'));

  /** A paid 50.00 RUB invoice (2Checkout order `refNo`, one line) with a refund of `amount` asked for. */
  async function requested(refNo: string, amountMinor = 5000, invoiceStatus = 'paid') {
    const invoiceId = await h.newInvoice(merchantId);
    await h.db('invoices').where({ id: invoiceId }).update({ status: invoiceStatus, twocheckout_refno: refNo });
    h.twoCheckout.orders.set(refNo, {
      RefNo: refNo,
      ExternalReference: invoiceId,
      Status: 'COMPLETE',
      ApproveStatus: 'OK',
      Currency: 'RUB',
      GrossPrice: 50,
      Items: [{ LineItemReference: `line-of-${refNo}`, Price: { GrossPrice: 50 } }],
    });
    const refundId = newId('rf');
    await h.db('refunds').insert({
      id: refundId,
      invoice_id: invoiceId,
      merchant_id: merchantId,
      livemode: false,
      amount_minor: amountMinor,
      currency: 'RUB',
      status: 'requested',
      source: 'api',
    });
    return { invoiceId, refundId };
  }
  const send = (r: { invoiceId: string; refundId: string }) => h.run(() => activities.sendRefund(r));
  const refundRow = (id: string) => h.db('refunds').where({ id }).first();
  const sentFor = (refNo: string) => h.twoCheckout.refunds.filter((r) => r.refNo === refNo);

  it('When 2Checkout accepts, then the refund is pending with what was sent; run again, nothing more is sent', async () => {
    const r = await requested('RS1');
    await send(r);
    expect(await refundRow(r.refundId)).toMatchObject({ status: 'pending', sent_amount_minor: 5000 });
    expect(sentFor('RS1').map((x) => x.body)).toEqual([
      { amount: 50, comment: `Refund of invoice ${r.invoiceId}`, reason: 'Other' },
    ]);
    await send(r);
    expect(sentFor('RS1')).toHaveLength(1);
    // the invoice is not touched: only 2Checkout's refund notification changes it
    expect(await h.db('invoices').where({ id: r.invoiceId }).first()).toMatchObject({
      status: 'paid',
      refunded_minor: 0,
    });
  });

  it('When a partial refund is sent, then it names the order line it comes from', async () => {
    const r = await requested('RS2', 2000);
    await send(r);
    expect(sentFor('RS2')[0]!.body).toMatchObject({
      amount: 20,
      items: [{ LineItemReference: 'line-of-RS2', Quantity: 1, Amount: 20 }],
    });
  });

  it('When the connection drops after the request arrived, then the refund waits for review and is never sent again', async () => {
    const r = await requested('RS3');
    h.twoCheckout.answerRefunds('drop');
    await send(r);
    const row = await refundRow(r.refundId);
    expect(row.status).toBe('needs_review');
    expect(row.status_reason).toMatch(/no answer from 2Checkout/);
    h.twoCheckout.answerRefunds('accept');
    await send(r);
    expect(sentFor('RS3')).toHaveLength(1);
  });

  it('When a worker died after marking the refund as being sent, then the retry does not send it', async () => {
    const r = await requested('RS4');
    await h.db('refunds').where({ id: r.refundId }).update({ send_started_at: new Date() });
    await send(r);
    expect(await refundRow(r.refundId)).toMatchObject({ status: 'needs_review' });
    expect(sentFor('RS4')).toEqual([]);
  });

  it('When 2Checkout answers 503, then the refund stays requested, says which attempt failed, and the retry sends it', async () => {
    const r = await requested('RS5');
    h.twoCheckout.answerRefunds('unavailable');
    await expect(send(r)).rejects.toThrow(/HTTP 503/);
    const row = await refundRow(r.refundId);
    expect(row).toMatchObject({ status: 'requested', send_started_at: null });
    expect(row.status_reason).toMatch(/HTTP 503; attempt 1, next at/);
    h.twoCheckout.answerRefunds('accept');
    await send(r);
    expect(await refundRow(r.refundId)).toMatchObject({ status: 'pending' });
    expect(sentFor('RS5').map((x) => x.answered)).toEqual(['unavailable', 'accept']);
  });

  it('When 2Checkout refuses, then the refund fails with its words', async () => {
    const r = await requested('RS6');
    h.twoCheckout.answerRefunds('refuse');
    await send(r);
    const row = await refundRow(r.refundId);
    expect(row.status).toBe('failed');
    expect(row.status_reason).toContain('You already have a pending refund request.');
  });

  it('When the invoice is no longer paid (a chargeback opened meanwhile), then nothing is sent', async () => {
    const r = await requested('RS7', 5000, 'disputed');
    await send(r);
    expect(await refundRow(r.refundId)).toMatchObject({
      status: 'failed',
      status_reason: 'not sent: the invoice is disputed now',
    });
    expect(sentFor('RS7')).toEqual([]);
  });

  it('When the refund notification comes, then it confirms the refund asked for, once; a resend changes nothing', async () => {
    const r = await requested('RS8', 2000);
    await send(r);
    const facts = { refNo: 'RS8', orderStatus: 'REFUND', total: '-20.00', messageId: '300000000001' };
    const ipn = await h.storedIpn({ merchantId, invoiceId: r.invoiceId, facts });
    await h.run(() => activities.handleIpn({ invoiceId: r.invoiceId, ipnEventId: ipn }));
    const resent = await h.storedIpn({
      merchantId,
      invoiceId: r.invoiceId,
      facts: { ...facts, ipnDate: '20261128130000' },
    });
    await h.run(() => activities.handleIpn({ invoiceId: r.invoiceId, ipnEventId: resent }));
    expect(await h.db('refunds').where({ invoice_id: r.invoiceId })).toEqual([
      expect.objectContaining({ id: r.refundId, status: 'succeeded', ipn_event_id: ipn, source: 'api' }),
    ]);
    expect(await h.db('invoices').where({ id: r.invoiceId }).first()).toMatchObject({
      status: 'partially_refunded',
      refunded_minor: 2000,
    });
  });
});
