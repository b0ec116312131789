/**
 * Refunds of an invoice: the ones the merchant asks for (sent to 2Checkout by the invoice's workflow) and the ones
 * 2Checkout reports. A refund changes the invoice only when 2Checkout's refund notification confirms it.
 */
import type { InvoiceStatus } from './invoice';
import { fromMinorUnits, moneyView } from './money';

/**
 * - `requested`: recorded, not yet accepted by 2Checkout (the workflow is sending it, or 2Checkout is unreachable);
 * - `pending`: 2Checkout registered it; its refund notification (IPN) will confirm it;
 * - `succeeded`: 2Checkout's refund notification came: the invoice counts it;
 * - `failed`: 2Checkout refused it (its reason is kept) or it could not be sent;
 * - `needs_review`: sent, but no answer came: whether 2Checkout took it is unknown. It is never sent again by itself;
 *   a refund notification still confirms it.
 */
export const REFUND_STATUSES = ['requested', 'pending', 'succeeded', 'failed', 'needs_review'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/** Refunds that may still reach 2Checkout or be confirmed: while one is open, no other is asked for. */
export const OPEN_REFUND_STATUSES: readonly RefundStatus[] = ['requested', 'pending', 'needs_review'];

export type RefundSource = 'api' | 'dashboard' | 'twocheckout';

/** Invoice statuses the merchant may refund from (a dispute must close first, as at 2Checkout). */
export const MERCHANT_REFUNDABLE: readonly InvoiceStatus[] = ['paid', 'partially_refunded'];

/** A row of `refunds`. */
export interface RefundRow {
  id: string;
  invoice_id: string;
  merchant_id: string;
  /** The invoice's mode. */
  livemode: boolean;
  amount_minor: number;
  currency: string;
  reason: string | null;
  status: RefundStatus;
  status_reason: string | null;
  source: RefundSource;
  idempotency_key: string | null;
  request_hash: string | null;
  ipn_event_id: number | null;
  refund_key: string | null;
  sent_amount_minor: number | null;
  send_started_at: Date | null;
  fee_minor: number | null;
  fee_currency: string | null;
  payout_minor: number | null;
  payout_currency: string | null;
  sent_at: Date | null;
  settled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A refund as the API shows it: amounts as decimal strings, times as ISO 8601. */
export function refundView(r: RefundRow) {
  return {
    id: r.id,
    invoiceId: r.invoice_id,
    amount: fromMinorUnits(r.amount_minor, r.currency),
    currency: r.currency,
    reason: r.reason,
    status: r.status,
    statusReason: r.status_reason,
    source: r.source,
    fee: moneyView(r.fee_minor, r.fee_currency),
    net: moneyView(r.payout_minor, r.payout_currency),
    createdAt: r.created_at.toISOString(),
    sentAt: r.sent_at?.toISOString() ?? null,
    settledAt: r.settled_at?.toISOString() ?? null,
  };
}
