import { MockActivityEnvironment } from '@temporalio/testing';
import { activityHarness } from '../helpers/activity-harness';
import type { IpnFacts } from '../helpers/ipn';

/**
 * A worker killed in the middle of an activity means the activity runs again, from the start, after its effect may
 * already be committed. Each activity must then have its effect once. And an activity acts only on what PostgreSQL
 * holds: an IPN id that is not a verified IPN of this invoice changes nothing.
 */
describe('invoice activities run twice have one effect, and act on stored facts only', () => {
  const secretKeys = new Map([['M', 'k']]); // what the stand-in 2Checkout holds
  const h = activityHarness(secretKeys);
  let activities: ReturnType<typeof h.activities>;
  const { run } = h;

  beforeAll(async () => {
    await h.start();
    activities = h.activities();
    for (const id of ['mer_1', 'mer_2']) await h.newMerchant(id);
  });
  afterAll(() => h.stop());

  const newInvoice = (merchantId = 'mer_1', expiresInMs?: number) => h.newInvoice(merchantId, expiresInMs);
  /** A stored IPN, as the api keeps a verified one (or not, with `verdict`). */
  const storedIpn = (invoiceId: string, facts: Partial<IpnFacts>, verdict = 'verified', merchantId = 'mer_1') =>
    h.storedIpn({ merchantId, invoiceId, facts, verdict });
  const order = (refNo: string, invoiceId: string, status?: string) => h.order(refNo, invoiceId, status);
  const changes = (id: string) =>
    h.db('invoice_events').where({ invoice_id: id }).whereIn('type', ['status_changed', 'refund']).orderBy('id');
  const invoice = (id: string) => h.db('invoices').where({ id }).first();

  it('When handleIpn runs twice for a paying IPN, then the invoice is paid once, with one audit row and one outcome', async () => {
    const id = await newInvoice();
    order('R1', id);
    const ipn = await storedIpn(id, { refNo: 'R1' });
    const first = await run(() => activities.handleIpn({ invoiceId: id, ipnEventId: ipn }));
    expect(first).toEqual({ status: 'paid', late: false, refNo: 'R1', revision: 1 });
    const audit = await changes(id);
    expect(audit.map((e: { to_status: string }) => e.to_status)).toEqual(['paid']);
    expect(await run(() => activities.handleIpn({ invoiceId: id, ipnEventId: ipn }))).toEqual(first);
    expect(await changes(id)).toEqual(audit);
    expect((await h.db('ipn_events').where({ id: ipn }).first()).outcome).toBe('paid: paid');
  });

  it('When a refund IPN is handled twice, and resent with a fresh IPN_DATE, then it is counted once; another refund is counted', async () => {
    const id = await newInvoice();
    order('R2', id);
    await run(() => activities.handleIpn({ invoiceId: id, ipnEventId: 0 })); // nothing: no such IPN
    await run(async () => activities.handleIpn({ invoiceId: id, ipnEventId: await storedIpn(id, { refNo: 'R2' }) }));
    const refund = { refNo: 'R2', orderStatus: 'REFUND', total: '-20.00', messageId: '254498854202' };
    const ipn = await storedIpn(id, refund);
    await run(() => activities.handleIpn({ invoiceId: id, ipnEventId: ipn }));
    await run(() => activities.handleIpn({ invoiceId: id, ipnEventId: ipn }));
    const resent = await storedIpn(id, { ...refund, ipnDate: '20261128130000' });
    const after = await run(() => activities.handleIpn({ invoiceId: id, ipnEventId: resent }));
    expect(after).toMatchObject({ status: 'partially_refunded' });
    expect(await invoice(id)).toMatchObject({ refunded_minor: 2000, status: 'partially_refunded' });

    const other = await storedIpn(id, { ...refund, messageId: '254498854999', ipnDate: '20261128140000' });
    await run(() => activities.handleIpn({ invoiceId: id, ipnEventId: other }));
    expect(await invoice(id)).toMatchObject({ refunded_minor: 4000, status: 'partially_refunded' });
    expect((await changes(id)).map((e: { type: string }) => e.type)).toEqual(['status_changed', 'refund', 'refund']);
  });

  it("When handleIpn is named an IPN that is unverified, another invoice's or another merchant's, then nothing changes", async () => {
    const id = await newInvoice();
    order('R3', id);
    const elsewhere = await newInvoice();
    const theirs = await newInvoice('mer_2');
    for (const ipn of [
      await storedIpn(id, { refNo: 'R3' }, 'bad_signature'),
      await storedIpn(elsewhere, { refNo: 'R3' }),
      await storedIpn(theirs, { refNo: 'R3', invoiceId: id }, 'verified', 'mer_2'),
    ]) {
      expect(await run(() => activities.handleIpn({ invoiceId: id, ipnEventId: ipn }))).toMatchObject({
        status: 'awaiting_payment',
        revision: 0,
      });
    }
    expect(await changes(id)).toEqual([]);
  });

  it('When cancelInvoice and the expiry run twice, then each changes the status once', async () => {
    const canceled = await newInvoice();
    await run(() => activities.cancelInvoice({ invoiceId: canceled, reason: 'sold out' }));
    expect(await run(() => activities.cancelInvoice({ invoiceId: canceled }))).toMatchObject({ status: 'canceled' });
    expect((await changes(canceled)).map((e: { to_status: string }) => e.to_status)).toEqual(['canceled']);
    expect((await invoice(canceled)).status_reason).toBe('canceled by the merchant: sold out');

    const expiring = await newInvoice('mer_1', -1000);
    await run(() => activities.reconcileInvoice({ invoiceId: expiring }));
    expect(await run(() => activities.reconcileInvoice({ invoiceId: expiring }))).toMatchObject({ status: 'expired' });
    expect((await changes(expiring)).map((e: { to_status: string }) => e.to_status)).toEqual(['expired']);
  });

  it('When 2Checkout refuses our credentials, then the invoice says so in PostgreSQL, with the attempt and the next one', async () => {
    const id = await newInvoice();
    order('R5', id);
    const ipn = await storedIpn(id, { refNo: 'R5' });
    secretKeys.set('M', 'a key 2Checkout has now');
    try {
      const thirdAttempt = new MockActivityEnvironment({ attempt: 3 });
      await expect(thirdAttempt.run(() => activities.handleIpn({ invoiceId: id, ipnEventId: ipn }))).rejects.toThrow(
        '2Checkout refused our authentication (HTTP 401)',
      );
      const { waiting_reason: waiting } = await invoice(id);
      expect(waiting).toMatch(
        /^2Checkout refused our authentication \(HTTP 401\): check the merchant code and Secret Key; attempt 3, next at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
      );
      // 2 s doubling: after the third attempt, the fourth comes 8 s later
      const next = Date.parse(/next at (\S+)$/.exec(waiting)![1]!);
      expect(next - Date.now()).toBeGreaterThan(6_000);
      expect(next - Date.now()).toBeLessThanOrEqual(8_000);
    } finally {
      secretKeys.set('M', 'k');
    }
    expect(await run(() => activities.handleIpn({ invoiceId: id, ipnEventId: ipn }))).toMatchObject({ status: 'paid' });
    expect(await invoice(id)).toMatchObject({ waiting_reason: null, status: 'paid' });
  });
});
