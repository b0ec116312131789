import { randomBytes } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { newId } from '../../lib/ids';
import { sealContext } from '../../lib/merchants';
import { createSecretBox } from '../../lib/secret-box';
import { createTestDatabase } from '../helpers/db';
import { signedIpnBody, type IpnFacts } from '../helpers/ipn';
import { startTwoCheckoutStandIn } from '../helpers/twocheckout-stand-in';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

/**
 * A worker killed in the middle of an activity means the activity runs again, from the start, after its effect may
 * already be committed. Each activity must then have its effect once. And an activity acts only on what PostgreSQL
 * holds: an IPN id that is not a verified IPN of this invoice changes nothing.
 */
describe('invoice activities run twice have one effect, and act on stored facts only', () => {
  let t: TestDb;
  const box = createSecretBox(randomBytes(32).toString('base64'));
  let activities: ReturnType<typeof createActivities>;
  let twoCheckout: Awaited<ReturnType<typeof startTwoCheckoutStandIn>>;
  const secretKeys = new Map([['M', 'k']]); // what the stand-in 2Checkout holds
  const env = new MockActivityEnvironment();
  /** Runs an activity the way a worker does (in an activity context). */
  const run = <R>(fn: () => Promise<R>): Promise<R> => env.run<[], R, () => Promise<R>>(fn);

  beforeAll(async () => {
    t = await createTestDatabase();
    await t.db.migrate.latest();
    twoCheckout = await startTwoCheckoutStandIn(secretKeys);
    activities = createActivities({
      db: t.db,
      secretBox: box,
      sandboxUrl: twoCheckout.url,
      publicUrl: 'http://127.0.0.1:3000',
      fetch: globalThis.fetch,
      clock: () => new Date(),
    });
    for (const id of ['mer_1', 'mer_2'])
      await t.db('merchants').insert({
        id,
        name: 'Shop',
        api_key_hash: `h${id}`,
        api_key_prefix: 'sk_',
        twocheckout_merchant_code: 'M',
        twocheckout_secret_key_sealed: box.seal('k', sealContext.secretKey(id)),
        twocheckout_buy_link_secret_word_sealed: box.seal('w', sealContext.buyLinkSecretWord(id)),
        twocheckout_environment: 'sandbox',
        accept_test_orders: true,
      });
  });
  afterAll(async () => {
    await twoCheckout?.close();
    await t?.drop();
  });

  async function newInvoice(merchantId = 'mer_1', expiresInMs = 3_600_000) {
    const id = newId('inv');
    await t.db('invoices').insert({
      id,
      merchant_id: merchantId,
      items: JSON.stringify([{ name: 'P', unitPriceMinor: 5000, quantity: 1 }]),
      amount_minor: 5000,
      currency: 'RUB',
      expires_at: new Date(Date.now() + expiresInMs),
    });
    return id;
  }
  /** A stored IPN, as the api keeps a verified one (or not, with `verdict`). */
  async function storedIpn(invoiceId: string, facts: Partial<IpnFacts>, verdict = 'verified', merchantId = 'mer_1') {
    const f: IpnFacts = { refNo: 'R1', invoiceId, orderStatus: 'COMPLETE', total: '50.00', currency: 'RUB', ...facts };
    const [{ id }] = await t
      .db('ipn_events')
      .insert({
        merchant_id: merchantId,
        raw_body: Buffer.from(signedIpnBody('k', f)),
        headers: '{}',
        verdict,
        refno: f.refNo,
        order_status: f.orderStatus,
        ipn_date: f.ipnDate ?? '20261128120010',
        invoice_id: invoiceId,
        delivery_state: 'delivered',
      })
      .returning('id');
    return id as number;
  }
  const order = (refNo: string, invoiceId: string, status = 'COMPLETE') =>
    twoCheckout.orders.set(refNo, {
      RefNo: refNo,
      ExternalReference: invoiceId,
      Status: status,
      ApproveStatus: 'OK',
      Currency: 'RUB',
      GrossPrice: '50.00',
    });
  const changes = (id: string) =>
    t.db('invoice_events').where({ invoice_id: id }).whereIn('type', ['status_changed', 'refund']).orderBy('id');
  const invoice = (id: string) => t.db('invoices').where({ id }).first();

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
    expect((await t.db('ipn_events').where({ id: ipn }).first()).outcome).toBe('paid: paid');
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
