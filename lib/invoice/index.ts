/**
 * An invoice's own types: its statuses (DESIGN.md §3) and its row. The api, the activities and the workflow import
 * them from here; the rules that move an invoice are beside them (decide.ts). No I/O: safe in the workflow bundle.
 */
/** Invoice statuses (DESIGN.md §3). The database CHECK is kept equal to this list by a migration test. */
export const INVOICE_STATUSES = [
  'awaiting_payment',
  'processing',
  'paid',
  'expired',
  'canceled',
  'failed',
  'refunded',
  'partially_refunded',
  'disputed',
  'charged_back',
  'needs_review',
] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** Statuses from which an invoice can still be paid on time; a payment in any other final status is late. */
export const OPEN_STATUSES: readonly InvoiceStatus[] = ['awaiting_payment', 'processing'];

/** A row of `invoices`. */
export interface InvoiceRow {
  id: string;
  merchant_id: string;
  product_id: string | null;
  items: { name: string; unitPriceMinor: number; quantity: number }[];
  amount_minor: number;
  currency: string;
  status: InvoiceStatus;
  status_reason: string | null;
  /** Status changes so far (the workflow orders answers by it). */
  revision: number;
  /** While 2Checkout is asked again: what failed, which attempt, when the next is. */
  waiting_reason: string | null;
  late: boolean;
  refunded_minor: number;
  expires_at: Date;
  checkout_url: string | null;
  /** Live money (true) or test mode: the mode's 2Checkout setup made its link and verifies its payments. */
  livemode: boolean;
  /** The 2Checkout account the invoice was created under: the only one its payments are verified with (§8). */
  twocheckout_environment: 'sandbox' | 'live';
  twocheckout_merchant_code: string;
  twocheckout_refno: string | null;
  twocheckout_order_no: string | null;
  test_order: boolean | null;
  customer_email: string | null;
  external_id: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  paid_at: Date | null;
  /** The checkout language asked of 2Checkout on the buy link; null: none, 2Checkout picks. */
  language: 'en' | 'ru' | null;
  /** The merchant's own key-value pairs, set on creation (api/schemas.ts bounds them). */
  metadata: Record<string, string>;
  /** What 2Checkout keeps (IPN_COMMISSION, in the order currency) and pays out, from a verified IPN; else null. */
  fee_minor: number | null;
  fee_currency: string | null;
  payout_minor: number | null;
  payout_currency: string | null;
  /** FX_RATE as 2Checkout wrote it: order currency → payout currency. */
  fx_rate: string | null;
  /** The stored IPN the fee and payout were read from. */
  fees_ipn_event_id: number | null;
  created_at: Date;
  updated_at: Date;
}
