import { type Client, type WorkflowStartOptions } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Knex } from 'knex';
import type { InvoiceRow } from './invoice';
import { fromMinorUnits } from './money';
import {
  ipnStoredSignal,
  recheckSignal,
  refundRequestedSignal,
  SEARCH_ATTRIBUTES,
  TASK_QUEUE,
  webhookWorkflowIdOf,
  workflowIdOf,
  type InvoiceWorkflowInput,
  type IpnStored,
  type WebhookWorkflowInput,
} from '../workflows/shared';

/** What a run of an invoice's workflow is started from: the invoice's row, and the shop's name for people. */
export type InvoiceRun = Pick<
  InvoiceRow,
  | 'id'
  | 'merchant_id'
  | 'amount_minor'
  | 'currency'
  | 'status'
  | 'late'
  | 'twocheckout_refno'
  | 'revision'
  | 'expires_at'
> & { shop: string };

/** The invoice with its shop's name, as runs of its workflow are started from it; undefined when there is none. */
export async function loadInvoiceRun(db: Knex, invoiceId: string): Promise<InvoiceRun | undefined> {
  return db('invoices')
    .join('merchants', 'merchants.id', 'invoices.merchant_id')
    .where('invoices.id', invoiceId)
    .first<InvoiceRun | undefined>('invoices.*', 'merchants.name as shop');
}

/**
 * How every run of an invoice's workflow starts: its id, the invoice as PostgreSQL has it, its search attributes,
 * and a static summary the Temporal UI's workflow list shows (amount, currency, shop). The workflow is named, not
 * imported: the client side does not load workflow code.
 */
function startOptions(invoice: InvoiceRun) {
  const input: InvoiceWorkflowInput = {
    invoiceId: invoice.id,
    merchantId: invoice.merchant_id,
    expiresAt: invoice.expires_at.toISOString(),
    known: { status: invoice.status, late: invoice.late, refNo: invoice.twocheckout_refno, revision: invoice.revision },
  };
  return {
    workflowId: workflowIdOf(invoice.id),
    taskQueue: TASK_QUEUE,
    args: [input] as [InvoiceWorkflowInput],
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.invoiceId, value: invoice.id },
      { key: SEARCH_ATTRIBUTES.merchantId, value: invoice.merchant_id },
      { key: SEARCH_ATTRIBUTES.invoiceStatus, value: invoice.status },
      { key: SEARCH_ATTRIBUTES.invoiceLate, value: invoice.late },
      ...(invoice.twocheckout_refno === null
        ? []
        : [{ key: SEARCH_ATTRIBUTES.twoCheckoutRefNo, value: invoice.twocheckout_refno }]),
    ],
    staticSummary: `${fromMinorUnits(invoice.amount_minor, invoice.currency)} ${invoice.currency} · ${invoice.shop}`,
  } satisfies Partial<WorkflowStartOptions>;
}

/**
 * Starts the invoice's workflow: one plain start (the API has signed the link already). Starting it again while it
 * runs is a no-op, so a retried request is safe.
 */
export async function startInvoiceWorkflow(client: Client, invoice: InvoiceRun): Promise<void> {
  await client.workflow.start('invoiceWorkflow', {
    ...startOptions(invoice),
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

/**
 * Hands a stored IPN, by its id, to the invoice's workflow; starts a run for it when none is running (the invoice
 * settled and its run ended, or none ever started), so an event is always handled by a workflow.
 */
export async function deliverStoredIpn(client: Client, invoice: InvoiceRun, ipn: IpnStored): Promise<void> {
  await client.workflow.signalWithStart('invoiceWorkflow', {
    ...startOptions(invoice),
    signal: ipnStoredSignal,
    signalArgs: [ipn],
  });
}

/** Hands a refund the merchant asked for, by its id, to the invoice's workflow; starts a run when none is running. */
export async function requestRefundRun(client: Client, invoice: InvoiceRun, refundId: string): Promise<void> {
  await client.workflow.signalWithStart('invoiceWorkflow', {
    ...startOptions(invoice),
    signal: refundRequestedSignal,
    signalArgs: [{ refundId }],
  });
}

/** Asks the invoice's workflow to ask 2Checkout again (the janitor); starts a run when none is running. */
export async function recheckInvoice(client: Client, invoice: InvoiceRun): Promise<void> {
  await client.workflow.signalWithStart('invoiceWorkflow', {
    ...startOptions(invoice),
    signal: recheckSignal,
    signalArgs: [],
  });
}

/** Starts the webhook announcing audit row `auditEventId` of an invoice, once: its workflow id is the event's. */
export async function startWebhook(
  client: Client,
  auditEventId: number,
  invoice: Pick<InvoiceRow, 'id' | 'merchant_id'>,
): Promise<void> {
  try {
    await client.workflow.start('webhookWorkflow', {
      workflowId: webhookWorkflowIdOf(auditEventId),
      taskQueue: TASK_QUEUE,
      args: [{ auditEventId }] as [WebhookWorkflowInput],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: SEARCH_ATTRIBUTES.invoiceId, value: invoice.id },
        { key: SEARCH_ATTRIBUTES.merchantId, value: invoice.merchant_id },
      ],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err; // started by an earlier attempt
  }
}
