/**
 * What the client side, the worker and the workflow bundle all need. Imports only @temporalio/common and the
 * definition helpers of @temporalio/workflow, so it is safe in the workflow sandbox and in the api alike.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineSignal, defineUpdate } from '@temporalio/workflow';

export const TASK_QUEUE = 'invoices';

export { INVOICE_STATUSES, OPEN_STATUSES, type InvoiceStatus } from '../lib/invoice';
import type { InvoiceStatus } from '../lib/invoice';

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

/**
 * How 2Checkout's API is asked again while it fails (the invoice activities' retry policy): 2 s, doubling, at most
 * 10 minutes apart, never giving up. The activity says in PostgreSQL which attempt failed and when the next is.
 */
export const TWOCHECKOUT_RETRY = { firstMs: 2_000, maxMs: 10 * 60_000 } as const;

/** When attempt `attempt` (1-based) has failed, how long until the next: TWOCHECKOUT_RETRY's backoff. */
export const twoCheckoutRetryDelayMs = (attempt: number) =>
  Math.min(TWOCHECKOUT_RETRY.firstMs * 2 ** (attempt - 1), TWOCHECKOUT_RETRY.maxMs);

export const workflowIdOf = (invoiceId: string) => `invoice-${invoiceId}`;

export interface InvoiceWorkflowInput {
  readonly invoiceId: string;
  readonly merchantId: string;
  /** When the invoice expires (ISO 8601): the run's one timer while it awaits payment. */
  readonly expiresAt: string;
  /** The invoice as PostgreSQL had it when this run started. */
  readonly known: InvoiceOutcome;
  /** Carried over by continue-as-new: stored IPNs not yet handled, and a re-check asked for. */
  readonly pendingIpns?: readonly number[];
  readonly recheck?: boolean;
  /** Carried over by continue-as-new: refunds the merchant asked for, not yet sent to 2Checkout. */
  readonly pendingRefunds?: readonly string[];
  /** Continue as new past this many history events (tests); Temporal itself suggests it at 4,096. */
  readonly maxHistoryEvents?: number;
}

/** Where an invoice stands after an activity: what the workflow waits on, and mirrors in its search attributes. */
export interface InvoiceOutcome {
  readonly status: InvoiceStatus;
  readonly late: boolean;
  readonly refNo: string | null;
  /** Counts the invoice's status changes: of two answers, the later one has the higher revision. */
  readonly revision: number;
}

/** A stored IPN, as the api hands it to the workflow: its id only. The facts are read from the stored row. */
export interface IpnStored {
  readonly ipnEventId: number;
  /** Sent again by ops ("replay to workflow"): handled even if this run has seen the IPN (handling is idempotent). */
  readonly replay?: boolean;
}

export const ipnStoredSignal = defineSignal<[IpnStored]>('ipnReceived');
/** The janitor's nudge: ask 2Checkout again now (an invoice stuck in processing, or past its expiry). */
export const recheckSignal = defineSignal('recheckRequested');

/** A refund the merchant asked for, by its id: the workflow sends it to 2Checkout (the row says how much). */
export interface RefundRequested {
  readonly refundId: string;
}
export const refundRequestedSignal = defineSignal<[RefundRequested]>('refundRequested');

export const JANITOR_SCHEDULE_ID = 'invoice-janitor';
export const cancelUpdate = defineUpdate<InvoiceOutcome, [{ reason?: string }]>('cancel');

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
