/**
 * The invoice state machine (DESIGN.md §3) as pure functions: what an IPN and 2Checkout's answer mean for an
 * invoice, and which status changes are allowed (the `where status in (…)` of every write). No I/O.
 */
import { fromMinorUnits, toMinorUnits } from '../money';
import { INVOICE_STATUSES, type InvoiceStatus } from '.';

/** For each target status, the statuses it may be reached from: the `where status in (…)` of every write. */
export const ALLOWED_FROM: Readonly<Record<InvoiceStatus, readonly InvoiceStatus[]>> = {
  awaiting_payment: [],
  processing: ['awaiting_payment'],
  paid: ['awaiting_payment', 'processing', 'expired', 'canceled', 'disputed'],
  expired: ['awaiting_payment'],
  canceled: ['awaiting_payment'],
  // a payment reversed or canceled at 2Checkout after it was counted is no longer money received
  failed: ['awaiting_payment', 'processing', 'paid'],
  refunded: ['paid', 'partially_refunded', 'disputed'],
  partially_refunded: ['paid'],
  disputed: ['paid', 'partially_refunded'],
  // a lost chargeback whose OPEN notification never came still takes the money back
  charged_back: ['disputed', 'paid', 'partially_refunded'],
  needs_review: INVOICE_STATUSES.filter((s) => s !== 'needs_review'),
};

/** Statuses a refund can be counted in (a second partial refund stays `partially_refunded`). */
export const REFUNDABLE: readonly InvoiceStatus[] = ALLOWED_FROM.refunded;

/**
 * The lifecycle as (event, from, to) rows: what README.md's state table is generated from (scripts/state-table.ts),
 * and what a test keeps it equal to. `from` is ALLOWED_FROM[to] unless the event narrows it.
 */
export const LIFECYCLE: readonly { event: string; to: InvoiceStatus; from?: readonly InvoiceStatus[] }[] = [
  {
    event:
      'IPN PENDING / PENDING_APPROVAL / PAYMENT_AUTHORIZED; 2Checkout reports the order PENDING or under fraud review',
    to: 'processing',
  },
  {
    event:
      'verified paid: 2Checkout reports COMPLETE or AUTHRECEIVED, approved, this invoice, same amount and currency (late when expired or canceled)',
    to: 'paid',
    from: ['awaiting_payment', 'processing', 'expired', 'canceled'],
  },
  { event: 'expiry, and 2Checkout has no order for the invoice', to: 'expired' },
  { event: 'the merchant cancels (Workflow Update)', to: 'canceled' },
  {
    event: '2Checkout reports the order REVERSED or CANCELED, or refused by anti-fraud (FRAUD, INVALIDDATA)',
    to: 'failed',
  },
  { event: 'refund IPN for part of the amount', to: 'partially_refunded', from: REFUNDABLE },
  { event: 'refund IPN reaching the whole amount', to: 'refunded', from: REFUNDABLE },
  { event: 'chargeback OPEN', to: 'disputed' },
  { event: 'chargeback WON', to: 'paid', from: ['disputed'] },
  { event: 'chargeback LOST or ACCEPTED', to: 'charged_back' },
  {
    event: 'amount or currency differs, a test order on a merchant refusing them, an unknown 2Checkout status',
    to: 'needs_review',
  },
  {
    event:
      "an IPN or the expiry check while the merchant's settings name another 2Checkout account than the invoice was made under, or its sandbox is turned off (DESIGN.md §8)",
    to: 'needs_review',
    from: ['awaiting_payment', 'processing', 'expired', 'canceled'],
  },
];

/** The README's state table, as Markdown. */
export function lifecycleTable(): string {
  const rows = LIFECYCLE.map(
    ({ event, to, from }) =>
      `| ${(from ?? ALLOWED_FROM[to]).map((s) => `\`${s}\``).join(', ')} | ${event} | \`${to}\` |`,
  );
  return ['| from | event | to |', '|---|---|---|', ...rows].join('\n');
}

/** A 2Checkout order as its REST API 6.0 describes it, reduced to what decides payment. */
export interface TwoCheckoutOrder {
  readonly refNo: string;
  readonly orderNo: string | null;
  readonly externalReference: string | null;
  /** `Status`: PENDING, AUTHRECEIVED, COMPLETE, REVERSED, REFUND, CANCELED. */
  readonly status: string;
  /** `ApproveStatus` (anti-fraud): WAITING, OK, FRAUD, INVALIDDATA. */
  readonly approveStatus: string | null;
  readonly currency: string;
  /** `GrossPrice` in minor units of `currency`; null when 2Checkout's value could not be read exactly. */
  readonly grossMinor: number | null;
  readonly grossPrice: string;
  /**
   * `NetPrice`, the order value before tax, in minor units (null as above): what the buy link's dynamic prices set.
   * Equal to the gross value unless 2Checkout added sales tax or VAT on top.
   */
  readonly netMinor: number | null;
  readonly netPrice: string;
  readonly testOrder: boolean | null;
}

export interface InvoiceFacts {
  readonly invoiceId: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly acceptTestOrders: boolean;
}

export type Verdict =
  | { readonly kind: 'paid'; readonly reason: string }
  | { readonly kind: 'in_flight'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'needs_review'; readonly reason: string }
  /** 2Checkout does not confirm this order as one for this invoice: nothing changes. */
  | { readonly kind: 'not_confirmed'; readonly reason: string }
  /** Ours, but nothing this lifecycle acts on yet (refunds and chargebacks come with their own rules). */
  | { readonly kind: 'no_change'; readonly reason: string };

const PAID_STATUSES = new Set(['COMPLETE', 'AUTHRECEIVED']);
const REJECTED_APPROVALS = new Set(['FRAUD', 'INVALIDDATA']);

/**
 * What an order, as 2Checkout's API reports it, means for this invoice. "Verified paid" (§3): Status COMPLETE or
 * AUTHRECEIVED, ApproveStatus not FRAUD/INVALIDDATA, ExternalReference = invoice id, amount before tax (NetPrice)
 * and currency = the invoice's. The buy link's dynamic prices are net: tax 2Checkout adds is on top, paid by the
 * buyer, and not the merchant's money. `ipnSaysTest` is the IPN's TEST_ORDER, for when the API does not say.
 */
export function judgeOrder(order: TwoCheckoutOrder | null, invoice: InvoiceFacts, ipnSaysTest = false): Verdict {
  if (!order) return { kind: 'not_confirmed', reason: '2Checkout has no such order' };
  const ref = `2Checkout order ${order.refNo}`;
  if (order.externalReference !== invoice.invoiceId) {
    return {
      kind: 'not_confirmed',
      reason: `${ref} belongs to ${order.externalReference ?? 'no invoice'}, not this one`,
    };
  }
  if (order.currency !== invoice.currency || order.netMinor !== invoice.amountMinor) {
    const expected = `${fromMinorUnits(invoice.amountMinor, invoice.currency)} ${invoice.currency}`;
    const taxed = order.netPrice !== order.grossPrice ? ` before tax (${order.grossPrice} with it)` : '';
    return {
      kind: 'needs_review',
      reason: `${ref}: amount ${order.netPrice} ${order.currency}${taxed} ≠ ${expected}`,
    };
  }
  if ((order.testOrder ?? ipnSaysTest) && !invoice.acceptTestOrders) {
    return { kind: 'needs_review', reason: `${ref} is a test order, and this merchant does not accept test orders` };
  }
  if (order.approveStatus !== null && REJECTED_APPROVALS.has(order.approveStatus)) {
    return { kind: 'failed', reason: `${ref} refused by 2Checkout's anti-fraud review (${order.approveStatus})` };
  }
  if (PAID_STATUSES.has(order.status)) {
    return order.approveStatus === 'WAITING'
      ? { kind: 'in_flight', reason: `${ref} is ${order.status}, waiting for 2Checkout's anti-fraud review` }
      : { kind: 'paid', reason: `${ref} verified ${order.status} with 2Checkout's API` };
  }
  switch (order.status) {
    case 'PENDING':
      return { kind: 'in_flight', reason: `${ref} is PENDING at 2Checkout` };
    case 'REVERSED':
    case 'CANCELED':
      return { kind: 'failed', reason: `${ref} is ${order.status} at 2Checkout` };
    case 'REFUND':
      return { kind: 'no_change', reason: `${ref} is REFUND at 2Checkout` };
    default:
      return { kind: 'needs_review', reason: `${ref} has a status this service does not know: ${order.status}` };
  }
}

/** IPN ORDERSTATUS values 2Checkout documents (PROTOCOL.md §1.3); any other is stored, acknowledged and reviewed. */
export const KNOWN_IPN_STATUSES: ReadonlySet<string> = new Set([
  'PENDING',
  'PURCHASE_PENDING',
  'PENDING_APPROVAL',
  'PAYMENT_AUTHORIZED',
  'PAYMENT_RECEIVED',
  'PENDING_ORDER_APPROVAL',
  'COMPLETE',
  'REFUND',
  'REVERSED',
  'CANCELED',
  'SUSPECT',
  'INVALID',
]);

/**
 * What the IPN itself says that needs a person before 2Checkout's API is even asked: an ORDERSTATUS no one
 * documents, or a total before tax (IPN_TOTALGENERAL less the IPN_VAT of its lines) or currency other than the
 * invoice's. A reversal states the canceled amount as a negative total (2Checkout's IRN documentation). Null when
 * the IPN is consistent.
 */
export function judgeIpn(
  ipn: { orderStatus: string; total: string; currency: string; vat?: readonly string[] },
  invoice: InvoiceFacts,
): Verdict | null {
  if (!KNOWN_IPN_STATUSES.has(ipn.orderStatus)) {
    return {
      kind: 'needs_review',
      reason: `2Checkout sent an ORDERSTATUS this service does not know: ${ipn.orderStatus}`,
    };
  }
  let total: number | null;
  try {
    const vat = (ipn.vat ?? []).reduce((sum, v) => sum + toMinorUnits(v, invoice.currency), 0);
    const gross = toMinorUnits(ipn.total, invoice.currency);
    total = ipn.orderStatus === 'REVERSED' && gross < 0 ? -gross - vat : gross - vat;
  } catch {
    total = null;
  }
  if (ipn.currency !== invoice.currency || total !== invoice.amountMinor) {
    const expected = `${fromMinorUnits(invoice.amountMinor, invoice.currency)} ${invoice.currency}`;
    return { kind: 'needs_review', reason: `the IPN says ${ipn.total} ${ipn.currency} ≠ ${expected}` };
  }
  return null;
}

/** Where a chargeback resolution takes an invoice (DESIGN.md §3): OPEN → disputed, WON → paid, LOST/ACCEPTED → charged_back. */
export function chargebackTarget(resolution: string): InvoiceStatus | null {
  switch (resolution) {
    case 'OPEN':
      return 'disputed';
    case 'WON':
      return 'paid';
    case 'LOST':
    case 'ACCEPTED':
      return 'charged_back';
    default:
      return null;
  }
}

/** The status a verdict asks for, or null when it asks for none (not confirmed, nothing to act on). */
export function statusOf(verdict: Verdict): InvoiceStatus | null {
  switch (verdict.kind) {
    case 'paid':
      return 'paid';
    case 'in_flight':
      return 'processing';
    case 'failed':
      return 'failed';
    case 'needs_review':
      return 'needs_review';
    default:
      return null;
  }
}

/** The target status of a verdict from `from`, or null when nothing changes. */
export function targetOf(verdict: Verdict, from: InvoiceStatus): InvoiceStatus | null {
  const to = statusOf(verdict);
  return to !== null && to !== from && ALLOWED_FROM[to].includes(from) ? to : null;
}
