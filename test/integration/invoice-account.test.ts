import { sealContext } from '../../lib/merchants';
import { activityHarness } from '../helpers/activity-harness';

/**
 * DESIGN.md §8: an invoice is verified with the 2Checkout account (environment and merchant code) it was created
 * under, whatever the merchant's settings say now; and never against the sandbox where the deployment turns it off.
 * The invoice activities on a real PostgreSQL, asking a real HTTP stand-in for 2Checkout's REST API.
 */
describe('invoice activities verify with the account the invoice was created under', () => {
  // what the stand-in 2Checkout holds: both accounts exist there, each confirms its own orders
  const h = activityHarness(
    new Map([
      ['M', 'k'],
      ['EVIL', 'evil-key'],
    ]),
  );
  const { run, box } = h;
  const activitiesWith = (sandboxEnabled: boolean) => h.activities(sandboxEnabled);

  beforeAll(() => h.start());
  afterAll(() => h.stop());

  /** A `sandbox` merchant with merchant code M, as created before the deployment turned the sandbox off. */
  const newMerchant = () => h.newMerchant();
  const newInvoice = (merchantId: string, expiresInMs?: number) => h.newInvoice(merchantId, expiresInMs);
  const storedIpn = (
    merchantId: string,
    invoiceId: string,
    secretKey: string,
    facts: Parameters<typeof h.storedIpn>[0]['facts'],
  ) => h.storedIpn({ merchantId, invoiceId, secretKey, facts });
  const completeOrder = (refNo: string, invoiceId: string) => h.order(refNo, invoiceId);
  const invoice = (id: string) =>
    h.db('invoices').where({ id }).first('status', 'status_reason', 'twocheckout_refno', 'refunded_minor');
  /** The requests the stand-in 2Checkout received that name this order or invoice. */
  const asked = (ref: string) => h.twoCheckout.requests.filter((r) => r.includes(ref));

  it('When the merchant switches to another merchant code, then a payment that account confirms does not pay the invoice: it goes to review, saying why', async () => {
    const merchantId = await newMerchant();
    const id = await newInvoice(merchantId);
    // the API key holder points the merchant at an account of its own, which confirms an order for this invoice
    await h
      .db('merchants')
      .where({ id: merchantId })
      .update({
        twocheckout_merchant_code: 'EVIL',
        twocheckout_secret_key_sealed: box.seal('evil-key', sealContext.secretKey(merchantId)),
      });
    completeOrder('R-EVIL', id);
    const ipn = await storedIpn(merchantId, id, 'evil-key', { refNo: 'R-EVIL' });

    const outcome = await run(() => activitiesWith(true).handleIpn({ invoiceId: id, ipnEventId: ipn }));

    expect(outcome).toMatchObject({ status: 'needs_review' });
    expect(await invoice(id)).toEqual({
      status: 'needs_review',
      status_reason:
        "not verified: this invoice was created under 2Checkout merchant M (sandbox), and the merchant's test setup now names 2Checkout merchant EVIL (sandbox): only the account it was created under can confirm its payments",
      twocheckout_refno: null,
      refunded_minor: 0,
    });
    expect((await h.db('ipn_events').where({ id: ipn }).first()).outcome).toBe('not_verified: needs_review');
    expect(asked('R-EVIL')).toEqual([]);
  });

  it('When the merchant switches account after the invoice was paid, then a refund the other account reports changes nothing', async () => {
    const merchantId = await newMerchant();
    const id = await newInvoice(merchantId);
    completeOrder('R-PAID', id);
    const paid = await storedIpn(merchantId, id, 'k', { refNo: 'R-PAID' });
    expect(await run(() => activitiesWith(true).handleIpn({ invoiceId: id, ipnEventId: paid }))).toMatchObject({
      status: 'paid',
    });
    await h.db('merchants').where({ id: merchantId }).update({ twocheckout_merchant_code: 'EVIL' });
    const refund = await storedIpn(merchantId, id, 'evil-key', {
      refNo: 'R-PAID',
      orderStatus: 'REFUND',
      total: '-50.00',
      ipnDate: '20261128130000',
    });

    await run(() => activitiesWith(true).handleIpn({ invoiceId: id, ipnEventId: refund }));

    expect(await invoice(id)).toMatchObject({ status: 'paid', refunded_minor: 0 });
    expect((await h.db('ipn_events').where({ id: refund }).first()).outcome).toMatch(
      /^not_verified: this invoice was created under 2Checkout merchant M \(sandbox\)/,
    );
  });

  it('When the deployment turns the sandbox off, then the worker does not ask it: a sandbox invoice at expiry goes to review; with it on, the same order pays', async () => {
    const merchantId = await newMerchant();
    const off = await newInvoice(merchantId, -1000);
    const on = await newInvoice(merchantId, -1000);
    completeOrder('R-OFF', off);
    completeOrder('R-ON', on);

    await run(() => activitiesWith(false).reconcileInvoice({ invoiceId: off }));
    await run(() => activitiesWith(true).reconcileInvoice({ invoiceId: on }));

    expect(await invoice(off)).toMatchObject({
      status: 'needs_review',
      status_reason:
        'not checked with 2Checkout: this invoice was created under 2Checkout merchant M (sandbox), and the sandbox is disabled in this deployment (SANDBOX_ENABLED)',
    });
    expect(asked(off)).toEqual([]);
    expect(await invoice(on)).toMatchObject({ status: 'paid', twocheckout_refno: 'R-ON' });
  });
});
