import { Context } from '@temporalio/activity';
import type { InvoiceRow } from '../lib/invoice';
import { twoCheckoutRetryDelayMs, type InvoiceOutcome } from '../workflows/shared';

/** Where an invoice stands, as an activity answers its workflow. */
export function outcomeOf(invoice: InvoiceRow): InvoiceOutcome {
  return { status: invoice.status, late: invoice.late, refNo: invoice.twocheckout_refno, revision: invoice.revision };
}

/**
 * What a reason says while 2Checkout is asked again (the activity's retry policy): what failed, this attempt, and
 * when the next one is, in UTC to the second. Called inside the failing activity.
 */
export function retryNote(message: string, now: Date): string {
  const { attempt } = Context.current().info;
  const next = new Date(now.getTime() + twoCheckoutRetryDelayMs(attempt)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `${message}; attempt ${attempt}, next at ${next}`;
}
