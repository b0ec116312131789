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

/** Search attributes ops filter on in the Temporal UI (README: Finding a payment in the Temporal UI). */
export const SEARCH_ATTRIBUTES = {
  invoiceId: defineSearchAttributeKey('InvoiceId', SearchAttributeType.KEYWORD),
  merchantId: defineSearchAttributeKey('MerchantId', SearchAttributeType.KEYWORD),
  invoiceStatus: defineSearchAttributeKey('InvoiceStatus', SearchAttributeType.KEYWORD),
  twoCheckoutRefNo: defineSearchAttributeKey('TwoCheckoutRefNo', SearchAttributeType.KEYWORD),
  /** A payment that came after the invoice expired or was canceled. */
  invoiceLate: defineSearchAttributeKey('InvoiceLate', SearchAttributeType.BOOL),
  /** When InvoiceStatus last changed: "stuck in processing for an hour" is a query. */
  invoiceStatusChangedAt: defineSearchAttributeKey('InvoiceStatusChangedAt', SearchAttributeType.DATETIME),
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
  /** IPN_TOTALGENERAL as sent: negative on refunds and reversals. */
  readonly total: string;
  /** IPN_VAT of each line: the tax 2Checkout added on top of the prices (absent in IPNs stored before it was read). */
  readonly vat?: readonly string[];
  /** MESSAGE_ID: the same when 2Checkout resends this IPN with a fresh IPN_DATE, so a resent refund counts once. */
  readonly messageId?: string;
  readonly currency: string;
  /** CHARGEBACK_RESOLUTION: NONE, OPEN, WON, LOST, ACCEPTED. */
  readonly chargebackResolution: string;
  /** Sent again by ops ("replay to workflow"): handled even if this run has seen the IPN (handling is idempotent). */
  readonly replay?: boolean;
}

export interface InvoiceState {
  readonly status: InvoiceStatus;
  /** Why the invoice is where it is, for people. */
  readonly reason: string;
  readonly late: boolean;
  readonly refNo: string | null;
  readonly checkoutUrl: string | null;
}

export const paymentEventSignal = defineSignal<[PaymentEvent]>('ipnReceived');
/** The janitor's nudge: ask 2Checkout again now (an invoice stuck in processing, or past its expiry). */
export const recheckSignal = defineSignal('recheckRequested');

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
  noSuchEvent: 'NO_SUCH_EVENT',
  noWebhookUrl: 'NO_WEBHOOK_URL',
  webhookNotAccepted: 'WEBHOOK_NOT_ACCEPTED',
} as const;

/** How webhook deliveries are retried: from the worker's configuration, recorded in each webhook's history. */
export interface WebhookPolicy {
  /** Wait before the second attempt; each later wait doubles, up to an hour. */
  readonly firstRetryMs: number;
  /** Give up this long after the first attempt. */
  readonly retryForMs: number;
}

export const DEFAULT_WEBHOOK_POLICY: WebhookPolicy = { firstRetryMs: 30_000, retryForMs: 3 * 24 * 3600 * 1000 };

/** One event for the merchant's system: the same id and bytes on every attempt and resend. */
export interface WebhookEvent {
  readonly id: string;
  readonly type: string;
  readonly invoiceId: string;
  readonly merchantId: string;
  readonly body: string;
  readonly policy: WebhookPolicy;
}

export interface WebhookWorkflowInput {
  /** The audit-trail row (invoice_events.id) of the status change to announce. */
  readonly auditEventId: number;
}

/** The public id of the webhook event announcing audit-trail row `auditEventId`. */
export const webhookEventId = (auditEventId: number) => `evt_${auditEventId}`;
export const webhookWorkflowIdOf = (auditEventId: number) => `webhook-${webhookEventId(auditEventId)}`;
