import { API_VERSION } from '../../lib/api-version';
import { EVENT_TYPES, eventEnvelope, eventTypeOf, type EventType } from '../../lib/events';
import { INVOICE_STATUSES, type InvoiceRow, type InvoiceStatus } from '../../lib/invoice';
import { ALLOWED_FROM } from '../../lib/invoice/decide';
import { invoiceView } from '../../lib/invoice-view';

/** Every status an invoice can be in after it has been `paid` once, by the state table. */
function reachableAfterPaid(): Set<InvoiceStatus> {
  const seen = new Set<InvoiceStatus>(['paid']);
  for (let grew = true; grew;) {
    grew = false;
    for (const to of INVOICE_STATUSES) {
      if (!seen.has(to) && ALLOWED_FROM[to].some((from) => seen.has(from))) {
        seen.add(to);
        grew = true;
      }
    }
  }
  return seen;
}

const invoice = (overrides: Partial<InvoiceRow> = {}): InvoiceRow => ({
  id: 'inv_1',
  merchant_id: 'mer_1',
  product_id: null,
  items: [{ name: 'Tea', unitPriceMinor: 5000, quantity: 1 }],
  amount_minor: 5000,
  currency: 'RUB',
  status: 'paid',
  status_reason: 'verified',
  revision: 2,
  waiting_reason: null,
  late: false,
  refunded_minor: 0,
  expires_at: new Date('2026-12-01T00:00:00Z'),
  checkout_url: 'https://secure.2checkout.com/checkout/buy?x=1',
  livemode: true,
  metadata: { order: '1001' },
  twocheckout_environment: 'live',
  twocheckout_merchant_code: '250000000001',
  twocheckout_refno: '1',
  twocheckout_order_no: null,
  test_order: false,
  customer_email: null,
  external_id: null,
  idempotency_key: null,
  request_hash: null,
  paid_at: new Date('2026-11-30T00:00:00Z'),
  language: null,
  fee_minor: null,
  fee_currency: null,
  payout_minor: null,
  payout_currency: null,
  fx_rate: null,
  fees_ipn_event_id: null,
  created_at: new Date('2026-11-29T00:00:00Z'),
  updated_at: new Date('2026-11-30T00:00:00Z'),
  ...overrides,
});

describe('Event types (lib/events.ts)', () => {
  it('When the state table is walked from `paid`, then the only way back to `paid` is from `disputed`, and that is invoice.dispute_won', () => {
    const after = reachableAfterPaid();
    expect(ALLOWED_FROM.paid.filter((from) => after.has(from))).toEqual(['disputed']);
    expect(eventTypeOf({ type: 'status_changed', from_status: 'disputed', to_status: 'paid' })).toBe(
      'invoice.dispute_won',
    );
    // every first payment, on time or late, is invoice.paid
    for (const from of ALLOWED_FROM.paid.filter((f) => !after.has(f)))
      expect(eventTypeOf({ type: 'status_changed', from_status: from, to_status: 'paid' })).toBe('invoice.paid');
  });

  it('When any allowed change is announced, then its type is listed, and reaches the status that type says', () => {
    for (const to of INVOICE_STATUSES) {
      for (const from of ALLOWED_FROM[to]) {
        const type = eventTypeOf({ type: 'status_changed', from_status: from, to_status: to });
        expect([type, EVENT_TYPES[type]?.to]).toEqual([type, to]);
      }
    }
    expect(eventTypeOf({ type: 'created', from_status: null, to_status: 'awaiting_payment' })).toBe('invoice.created');
    const used = new Set<EventType>(['invoice.created']);
    for (const to of INVOICE_STATUSES)
      for (const from of ALLOWED_FROM[to]) used.add(eventTypeOf({ type: 'x', from_status: from, to_status: to }));
    expect([...used].sort()).toEqual(Object.keys(EVENT_TYPES).sort());
  });

  it('When an envelope is made, then it holds the id, type, time, API version, mode, the invoice then and the previous status', () => {
    const row = invoice({ status: 'paid' });
    const audit = {
      id: 42,
      type: 'status_changed',
      from_status: 'disputed',
      to_status: 'paid' as const,
      created_at: new Date('2026-11-30T12:00:00.123Z'),
    };
    const made = eventEnvelope(audit, row);
    expect(made).toEqual({ type: 'invoice.dispute_won', livemode: true, body: expect.any(String) });
    expect(JSON.parse(made.body)).toEqual({
      id: 'evt_42',
      type: 'invoice.dispute_won',
      createdAt: '2026-11-30T12:00:00.123Z',
      apiVersion: API_VERSION,
      livemode: true,
      data: { invoice: invoiceView(row), previousStatus: 'disputed' },
    });
    expect(Object.keys(JSON.parse(made.body))).toEqual(['id', 'type', 'createdAt', 'apiVersion', 'livemode', 'data']);
    expect(eventEnvelope(audit, invoice({ livemode: false })).livemode).toBe(false);
  });
});
