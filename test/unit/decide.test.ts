import {
  ALLOWED_FROM,
  judgeIpn,
  judgeOrder,
  LIFECYCLE,
  REFUNDABLE,
  targetOf,
  type InvoiceFacts,
} from '../../lib/invoice/decide';
import { INVOICE_STATUSES } from '../../workflows/shared';
import { buildOrder } from '../helpers/factories';

const invoice: InvoiceFacts = { invoiceId: 'inv_1', amountMinor: 5000, currency: 'RUB', acceptTestOrders: false };
const order = buildOrder;

describe('judgeOrder: "verified paid" of DESIGN.md §3', () => {
  it.each([
    ['COMPLETE and approved', order(), 'paid'],
    ['AUTHRECEIVED and approved', order({ status: 'AUTHRECEIVED' }), 'paid'],
    ['COMPLETE but waiting for fraud review', order({ approveStatus: 'WAITING' }), 'in_flight'],
    ['PENDING', order({ status: 'PENDING' }), 'in_flight'],
    ['COMPLETE but FRAUD', order({ approveStatus: 'FRAUD' }), 'failed'],
    ['COMPLETE but INVALIDDATA', order({ approveStatus: 'INVALIDDATA' }), 'failed'],
    ['REVERSED', order({ status: 'REVERSED' }), 'failed'],
    ['CANCELED', order({ status: 'CANCELED' }), 'failed'],
    [
      'of another amount',
      order({ netMinor: 50, netPrice: '0.50', grossMinor: 50, grossPrice: '0.50' }),
      'needs_review',
    ],
    [
      'with tax added on top of the amount',
      order({ netMinor: 5000, netPrice: '50.00', grossMinor: 6000, grossPrice: '60.00' }),
      'paid',
    ],
    [
      'whose price with tax is the amount',
      order({ netMinor: 4167, netPrice: '41.67', grossMinor: 5000, grossPrice: '50.00' }),
      'needs_review',
    ],
    ['in another currency', order({ currency: 'USD' }), 'needs_review'],
    ['with an unreadable amount', order({ netMinor: null, netPrice: '50.0.0' }), 'needs_review'],
    ['a test order on a merchant refusing them', order({ testOrder: true }), 'needs_review'],
    ['of an unknown status', order({ status: 'SOMETHING_NEW' }), 'needs_review'],
    ['of another invoice', order({ externalReference: 'inv_2' }), 'not_confirmed'],
    ['REFUND (handled with refunds)', order({ status: 'REFUND' }), 'no_change'],
  ])('When 2Checkout reports an order %s, then the verdict is %s', (_what, o, kind) => {
    expect(judgeOrder(o, invoice).kind).toBe(kind);
  });

  it('When 2Checkout has no such order, then it is not confirmed', () => {
    expect(judgeOrder(null, invoice)).toEqual({ kind: 'not_confirmed', reason: '2Checkout has no such order' });
  });

  it('When the API does not say whether it is a test order, then the IPN TEST_ORDER decides', () => {
    expect(judgeOrder(order({ testOrder: null }), invoice, true).kind).toBe('needs_review');
    expect(judgeOrder(order({ testOrder: null }), { ...invoice, acceptTestOrders: true }, true).kind).toBe('paid');
  });
});

describe('judgeIpn: what the IPN itself says', () => {
  const ipn = { orderStatus: 'COMPLETE', total: '50.00', currency: 'RUB' };
  it.each([
    ['consistent', ipn, null],
    ['of another total', { ...ipn, total: '0.50' }, 'the IPN says 0.50 RUB ≠ 50.00 RUB'],
    ['in another currency', { ...ipn, currency: 'USD' }, 'the IPN says 50.00 USD ≠ 50.00 RUB'],
    ['with an unreadable total', { ...ipn, total: '' }, 'the IPN says  RUB ≠ 50.00 RUB'],
    ['of a sale with 20% tax on top', { ...ipn, total: '60.00', vat: ['10.00'] }, null],
    ['of a sale with tax on two lines', { ...ipn, total: '60.00', vat: ['4.00', '6.00'] }, null],
    ['with tax, of another amount', { ...ipn, total: '60.00', vat: ['6.00'] }, 'the IPN says 60.00 RUB ≠ 50.00 RUB'],
    ['REVERSED, with the canceled amount negative', { ...ipn, orderStatus: 'REVERSED', total: '-50.00' }, null],
    [
      'REVERSED, with the tax of a taxed sale',
      { ...ipn, orderStatus: 'REVERSED', total: '-60.00', vat: ['10.00'] },
      null,
    ],
    ['COMPLETE with a negative total', { ...ipn, total: '-50.00' }, 'the IPN says -50.00 RUB ≠ 50.00 RUB'],
    [
      'of an unknown ORDERSTATUS',
      { ...ipn, orderStatus: 'TELEPORTED' },
      '2Checkout sent an ORDERSTATUS this service does not know: TELEPORTED',
    ],
  ])('When the IPN is %s, then %j', (_what, given, reason) => {
    expect(judgeIpn(given, invoice)).toEqual(reason === null ? null : { kind: 'needs_review', reason });
  });
});

describe('the state machine', () => {
  it('When a verdict meets a status, then only allowed transitions happen', () => {
    const paid = { kind: 'paid', reason: '' } as const;
    expect(targetOf(paid, 'awaiting_payment')).toBe('paid');
    expect(targetOf(paid, 'expired')).toBe('paid');
    expect(targetOf(paid, 'paid')).toBeNull();
    expect(targetOf({ kind: 'in_flight', reason: '' }, 'paid')).toBeNull(); // a PENDING after COMPLETE changes nothing
    expect(targetOf({ kind: 'failed', reason: '' }, 'paid')).toBe('failed'); // reversed after it was counted
    expect(targetOf({ kind: 'failed', reason: '' }, 'refunded')).toBeNull();
    expect(targetOf({ kind: 'not_confirmed', reason: '' }, 'awaiting_payment')).toBeNull();
  });

  it('When the documented lifecycle is read, then for each status its rows cover exactly the sources the code allows', () => {
    const documented = new Map<string, Set<string>>();
    for (const { to, from } of LIFECYCLE) {
      for (const s of from ?? ALLOWED_FROM[to]) (documented.get(to) ?? documented.set(to, new Set()).get(to)!).add(s);
    }
    for (const to of INVOICE_STATUSES.filter((s) => s !== 'awaiting_payment')) {
      const allowed = to === 'partially_refunded' ? REFUNDABLE : ALLOWED_FROM[to];
      expect([...(documented.get(to) ?? [])].sort()).toEqual([...allowed].sort());
    }
  });

  it('When the table is read, then every status appears and no status is its own source', () => {
    expect(Object.keys(ALLOWED_FROM).sort()).toEqual([...INVOICE_STATUSES].sort());
    for (const [to, from] of Object.entries(ALLOWED_FROM)) expect(from).not.toContain(to);
  });
});
