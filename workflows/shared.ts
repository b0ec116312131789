/**
 * What the client side, the worker and the workflow bundle all need. Imports only @temporalio/common, so it is safe
 * in the workflow sandbox.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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
