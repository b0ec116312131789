import { WithStartWorkflowOperation, type Client, type WorkflowStartOptions } from '@temporalio/client';
import type { InvoiceRow } from '../activities/invoices';
import { fromMinorUnits } from './money';
import { invoiceWorkflow } from '../workflows/invoice';
import {
  checkoutLinkUpdate,
  paymentEventSignal,
  recheckSignal,
  SEARCH_ATTRIBUTES,
  TASK_QUEUE,
  workflowIdOf,
  type PaymentEvent,
} from '../workflows/shared';

type InvoiceIdentity = Pick<InvoiceRow, 'id' | 'merchant_id' | 'amount_minor' | 'currency' | 'status'>;

/** How every run of an invoice's workflow starts: its id, its search attributes, a memo with the money. */
function startOptions(invoice: InvoiceIdentity, gracePeriodMs: number) {
  return {
    workflowId: workflowIdOf(invoice.id),
    taskQueue: TASK_QUEUE,
    args: [{ invoiceId: invoice.id, merchantId: invoice.merchant_id, gracePeriodMs }] as [
      Parameters<typeof invoiceWorkflow>[0],
    ],
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.invoiceId, value: invoice.id },
      { key: SEARCH_ATTRIBUTES.merchantId, value: invoice.merchant_id },
      { key: SEARCH_ATTRIBUTES.invoiceStatus, value: invoice.status },
    ],
    memo: { amount: fromMinorUnits(invoice.amount_minor, invoice.currency), currency: invoice.currency },
  } satisfies Partial<WorkflowStartOptions<typeof invoiceWorkflow>>;
}

/**
 * Starts the invoice's workflow and waits for the checkout link it creates (update-with-start): the workflow stays
 * the creator of the link, and the API answers with it. Never starts a second run once one has closed.
 */
export async function startInvoiceWorkflow(
  client: Client,
  invoice: InvoiceIdentity,
  gracePeriodMs: number,
): Promise<string> {
  const operation = new WithStartWorkflowOperation(invoiceWorkflow, {
    ...startOptions(invoice, gracePeriodMs),
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
  });
  return client.workflow.executeUpdateWithStart(checkoutLinkUpdate, { startWorkflowOperation: operation });
}

/**
 * Hands a stored IPN to the invoice's workflow; starts a run for it when none is running (the workflow closed after
 * its grace period, or never started), so an event is always processed by a workflow.
 */
export async function deliverPaymentEvent(
  client: Client,
  invoice: InvoiceIdentity,
  event: PaymentEvent,
  gracePeriodMs: number,
): Promise<void> {
  await client.workflow.signalWithStart(invoiceWorkflow, {
    ...startOptions(invoice, gracePeriodMs),
    signal: paymentEventSignal,
    signalArgs: [event],
  });
}

/** Asks the invoice's workflow to ask 2Checkout again (the janitor); starts a run when none is running. */
export async function recheckInvoice(client: Client, invoice: InvoiceIdentity, gracePeriodMs: number): Promise<void> {
  await client.workflow.signalWithStart(invoiceWorkflow, {
    ...startOptions(invoice, gracePeriodMs),
    signal: recheckSignal,
    signalArgs: [],
  });
}
