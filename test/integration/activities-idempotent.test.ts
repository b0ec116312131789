import { randomBytes } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { newId } from '../../lib/ids';
import { sealContext } from '../../lib/merchants';
import { createSecretBox } from '../../lib/secret-box';
import { createTestDatabase } from '../helpers/db';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

/**
 * A worker killed in the middle of an activity means the activity runs again, from the start, after its effect may
 * already be committed. Each activity must then have its effect once.
 */
describe('activities run twice have one effect', () => {
  let t: TestDb;
  const box = createSecretBox(randomBytes(32).toString('base64'));
  let activities: ReturnType<typeof createActivities>;
  const env = new MockActivityEnvironment();
  /** Runs an activity the way a worker does (in an activity context). */
  const run = <R>(fn: () => Promise<R>): Promise<R> => env.run<[], R, () => Promise<R>>(fn);

  beforeAll(async () => {
    t = await createTestDatabase();
    await t.db.migrate.latest();
    activities = createActivities({
      db: t.db,
      secretBox: box,
      sandboxUrl: 'http://127.0.0.1:9',
      publicUrl: 'http://127.0.0.1:3000',
      fetch: globalThis.fetch,
      clock: () => new Date(),
    });
    await t.db('merchants').insert({
      id: 'mer_1',
      name: 'Shop',
      api_key_hash: 'h',
      api_key_prefix: 'sk_',
      twocheckout_merchant_code: 'M',
      twocheckout_secret_key_sealed: box.seal('k', sealContext.secretKey('mer_1')),
      twocheckout_buy_link_secret_word_sealed: box.seal('w', sealContext.buyLinkSecretWord('mer_1')),
      twocheckout_environment: 'sandbox',
    });
  });
  afterAll(async () => {
    await t?.drop();
  });

  async function newInvoice() {
    const id = newId('inv');
    await t.db('invoices').insert({
      id,
      merchant_id: 'mer_1',
      items: JSON.stringify([{ name: 'P', unitPriceMinor: 5000, quantity: 1 }]),
      amount_minor: 5000,
      currency: 'RUB',
      expires_at: new Date(Date.now() + 3_600_000),
    });
    return id;
  }
  const events = (id: string) => t.db('invoice_events').where({ invoice_id: id }).orderBy('id');

  it('When openInvoice runs twice, then one checkout link is saved and recorded once', async () => {
    const id = await newInvoice();
    const first = await run(() => activities.openInvoice(id));
    const second = await run(() => activities.openInvoice(id));
    expect(second.checkoutUrl).toBe(first.checkoutUrl);
    expect((await events(id)).map((e: { type: string }) => e.type)).toEqual(['checkout_link_created']);
  });

  it('When changeInvoiceStatus runs twice, then the status changes once and one audit row is written', async () => {
    const id = await newInvoice();
    const change = { invoiceId: id, to: 'paid' as const, reason: 'verified', cause: 'IPN', refNo: 'R1' };
    const first = await run(() => activities.changeInvoiceStatus(change));
    const audit = await events(id);
    expect(audit.map((e: { to_status: string }) => e.to_status)).toEqual(['paid']);
    expect(first).toEqual({ status: 'paid', late: false, changed: true, auditEventId: audit[0].id, announce: false });
    // The retry changes nothing, and still names the change to announce: the one the first run made.
    expect(await run(() => activities.changeInvoiceStatus(change))).toEqual({ ...first, changed: false });
    expect(await events(id)).toEqual(audit);
  });

  it('When recordRefund runs twice for one IPN, then the refund is counted once', async () => {
    const id = await newInvoice();
    await run(() =>
      activities.changeInvoiceStatus({
        invoiceId: id,
        to: 'paid' as const,
        reason: 'verified',
        cause: 'IPN',
      }),
    );
    const [{ id: ipnEventId }] = await t
      .db('ipn_events')
      .insert({
        merchant_id: 'mer_1',
        raw_body: Buffer.from('x'),
        headers: '{}',
        verdict: 'verified',
        delivery_state: 'delivered',
      })
      .returning('id');
    const refund = { invoiceId: id, ipnEventId, refundKey: 'R1:254498854202', amountMinor: 2000, cause: 'IPN REFUND' };
    const first = await run(() => activities.recordRefund(refund));
    const refundRow = await t.db('invoice_events').where({ invoice_id: id, type: 'refund' }).first('id');
    expect(first).toEqual({
      status: 'partially_refunded',
      late: false,
      refundedMinor: 2000,
      changed: true,
      auditEventId: refundRow.id,
      announce: false,
    });
    expect(await run(() => activities.recordRefund(refund))).toEqual({ ...first, changed: false });
    expect(await t.db('invoices').where({ id }).first('refunded_minor')).toEqual({ refunded_minor: 2000 });

    // 2Checkout resends the refund's IPN with a fresh IPN_DATE: stored as another IPN, the same refund
    const [{ id: resentIpnEventId }] = await t
      .db('ipn_events')
      .insert({
        merchant_id: 'mer_1',
        raw_body: Buffer.from('y'),
        headers: '{}',
        verdict: 'verified',
        delivery_state: 'delivered',
      })
      .returning('id');
    const resent = { ...refund, ipnEventId: resentIpnEventId };
    expect(await run(() => activities.recordRefund(resent))).toEqual({ ...first, changed: false });
    expect(await t.db('invoices').where({ id }).first('refunded_minor')).toEqual({ refunded_minor: 2000 });

    // another refund of the same amount is another message: counted
    const second = await run(() => activities.recordRefund({ ...resent, refundKey: 'R1:254498854999' }));
    expect(second).toMatchObject({ refundedMinor: 4000, changed: true });
  });
});
