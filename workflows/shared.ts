/**
 * What the client side, the worker and the workflow bundle all need. Imports only @temporalio/common and the
 * definition helpers of @temporalio/workflow, so it is safe in the workflow sandbox and in the api alike.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export const TASK_QUEUE = 'invoices';

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

/** Search attributes ops filter on in the Temporal UI; every one is a Keyword. */
export const SEARCH_ATTRIBUTES = {
  invoiceId: defineSearchAttributeKey('InvoiceId', SearchAttributeType.KEYWORD),
  merchantId: defineSearchAttributeKey('MerchantId', SearchAttributeType.KEYWORD),
  invoiceStatus: defineSearchAttributeKey('InvoiceStatus', SearchAttributeType.KEYWORD),
  twoCheckoutRefNo: defineSearchAttributeKey('TwoCheckoutRefNo', SearchAttributeType.KEYWORD),
} as const;

/** Statuses from which an invoice can still be paid on time; a payment in any other final status is late. */
export const OPEN_STATUSES: readonly InvoiceStatus[] = ['awaiting_payment', 'processing'];

/** Late events are still awaited this long after the invoice settles: 2Checkout retries IPNs for two days. */
export const DEFAULT_GRACE_PERIOD_MS = 2 * 24 * 3600 * 1000;

export const workflowIdOf = (invoiceId: string) => `invoice-${invoiceId}`;

export interface InvoiceWorkflowInput {
  readonly invoiceId: string;
  readonly merchantId: string;
  /** How long to keep listening for late events once settled; DEFAULT_GRACE_PERIOD_MS when absent. */
  readonly gracePeriodMs?: number;
}

export interface InvoiceWorkflowResult {
  readonly status: InvoiceStatus;
  readonly late: boolean;
}

/** A stored, verified IPN, as the api hands it to the workflow. Only facts the IPN states; 2Checkout's API decides. */
export interface PaymentEvent {
  readonly ipnEventId: number;
  readonly refNo: string;
  readonly orderStatus: string;
  readonly ipnDate: string;
  readonly testOrder: boolean;
  /** IPN_TOTALGENERAL as sent: negative on refunds. */
  readonly total: string;
  readonly currency: string;
  /** CHARGEBACK_RESOLUTION: NONE, OPEN, WON, LOST, ACCEPTED. */
  readonly chargebackResolution: string;
}

export interface InvoiceState {
  readonly status: InvoiceStatus;
  /** Why the invoice is where it is, for people. */
  readonly reason: string;
  readonly late: boolean;
  readonly refNo: string | null;
  readonly checkoutUrl: string | null;
}

export const paymentEventSignal = defineSignal<[PaymentEvent]>('paymentEvent');
/** The janitor's nudge: ask 2Checkout again now (an invoice stuck in processing, or past its expiry). */
export const recheckSignal = defineSignal('recheck');

export const JANITOR_SCHEDULE_ID = 'invoice-janitor';
export const checkoutLinkUpdate = defineUpdate<string>('checkoutLink');
export const cancelUpdate = defineUpdate<InvoiceState, [{ reason?: string }]>('cancel');
export const stateQuery = defineQuery<InvoiceState>('state');

/** Error types (ApplicationFailure.type) that cross process boundaries. */
export const ERRORS = {
  notCancelable: 'INVOICE_NOT_CANCELABLE',
  noCheckoutLink: 'NO_CHECKOUT_LINK',
  invoiceNotFound: 'INVOICE_NOT_FOUND',
  twoCheckoutUnreachable: 'TWOCHECKOUT_UNREACHABLE',
  twoCheckoutRejected: 'TWOCHECKOUT_REJECTED',
} as const;
