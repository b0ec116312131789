import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities';
import {
  cancelUpdate,
  ipnStoredSignal,
  OPEN_STATUSES,
  recheckSignal,
  refundRequestedSignal,
  SEARCH_ATTRIBUTES,
  TWOCHECKOUT_RETRY,
  type InvoiceOutcome,
  type InvoiceWorkflowInput,
} from './shared';

// One activity per event: it reads the stored facts, asks 2Checkout, decides and applies in one transaction.
// 2Checkout can be down or refuse us for hours: its retry policy keeps asking, never giving up (§3), while the
// invoice says in PostgreSQL which attempt failed and when the next is.
const { handleIpn, reconcileInvoice, cancelInvoice, sendRefund } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: TWOCHECKOUT_RETRY.firstMs,
    backoffCoefficient: 2,
    maximumInterval: TWOCHECKOUT_RETRY.maxMs,
  },
});

/** While a payment is in flight, 2Checkout is asked again this often. */
const RECHECK_IN_FLIGHT_MS = 3600 * 1000;

/**
 * One invoice, from its checkout link to a settled status: wait for a stored IPN, the expiry, or the merchant's
 * cancel; hand each to one activity; end once the invoice is settled. A later event (an IPN, a refund the merchant
 * asks for) starts a new run.
 */
export async function invoiceWorkflow(input: InvoiceWorkflowInput): Promise<InvoiceOutcome> {
  const pending: number[] = [...(input.pendingIpns ?? [])];
  const seen = new Set<number>(pending);
  let invoice: InvoiceOutcome = input.known;
  let recheck = input.recheck ?? false;
  const refunds: string[] = [...(input.pendingRefunds ?? [])];
  const refundsSeen = new Set<string>(refunds);

  setHandler(ipnStoredSignal, ({ ipnEventId, replay }) => {
    // Ids only: the activity reads what the IPN says from the stored, verified row. The relay and the fast path
    // may both deliver one IPN; ops may replay one on purpose (handling is idempotent).
    if (!Number.isSafeInteger(ipnEventId) || (seen.has(ipnEventId) && !replay)) return;
    seen.add(ipnEventId);
    pending.push(ipnEventId);
  });
  setHandler(recheckSignal, () => void (recheck = true));
  setHandler(refundRequestedSignal, ({ refundId }) => {
    // An id only: the activity reads the amount from the row, and sends only a refund still `requested`.
    if (typeof refundId !== 'string' || refundsSeen.has(refundId)) return;
    refundsSeen.add(refundId);
    refunds.push(refundId);
  });
  setHandler(
    cancelUpdate,
    async ({ reason }) => {
      settle(await cancelInvoice({ invoiceId: input.invoiceId, ...(reason && { reason }) }));
      return invoice;
    },
    {
      validator: (_request) => {
        if (invoice.status !== 'awaiting_payment')
          throw new Error(`Only an invoice awaiting payment can be canceled; this one is ${invoice.status}`);
      },
    },
  );

  /**
   * Keeps what an activity reports, mirrored in the search attributes when it changed. An answer older than the one
   * kept (a cancel racing an IPN) is not taken: each status change in PostgreSQL has the next revision.
   */
  function settle(next: InvoiceOutcome) {
    if (next.revision < invoice.revision) return;
    const pairs: SearchAttributeUpdatePair[] = [];
    if (next.status !== invoice.status) {
      pairs.push({ key: SEARCH_ATTRIBUTES.invoiceStatus, value: next.status });
      pairs.push({ key: SEARCH_ATTRIBUTES.invoiceStatusChangedAt, value: new Date() });
    }
    if (next.late !== invoice.late) pairs.push({ key: SEARCH_ATTRIBUTES.invoiceLate, value: next.late });
    if (next.refNo !== null && next.refNo !== invoice.refNo)
      pairs.push({ key: SEARCH_ATTRIBUTES.twoCheckoutRefNo, value: next.refNo });
    if (pairs.length > 0) upsertSearchAttributes(pairs);
    invoice = next;
  }

  const isOpen = () => OPEN_STATUSES.includes(invoice.status);
  let timerFired = false;
  let timer: Promise<void> | null = null;
  for (;;) {
    if (pending.length === 0 && !recheck && refunds.length === 0) {
      if (!isOpen()) break;
      // One timer per wait: until the expiry, then hourly while a payment is in flight; a signal does not renew it.
      if (timer === null) {
        const awaiting = invoice.status === 'awaiting_payment';
        const due = awaiting ? Date.parse(input.expiresAt) - Date.now() : RECHECK_IN_FLIGHT_MS;
        timer = sleep(Math.max(due, 1), {
          summary: awaiting ? 'until the invoice expires' : 'until the hourly re-check',
        }).then(() => void (timerFired = true));
      }
      await condition(() => pending.length > 0 || recheck || refunds.length > 0 || timerFired || !isOpen());
      if (timerFired) [timer, timerFired, recheck] = [null, false, true];
    }
    const ipnEventId = pending.shift();
    const refundId = ipnEventId === undefined ? refunds.shift() : undefined;
    if (ipnEventId !== undefined) settle(await handleIpn({ invoiceId: input.invoiceId, ipnEventId }));
    else if (refundId !== undefined) settle(await sendRefund({ invoiceId: input.invoiceId, refundId }));
    else if (recheck) {
      recheck = false;
      settle(await reconcileInvoice({ invoiceId: input.invoiceId }));
    }
    const { continueAsNewSuggested, historyLength } = workflowInfo();
    if (continueAsNewSuggested || historyLength > (input.maxHistoryEvents ?? Infinity)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof invoiceWorkflow>({
        ...input,
        known: invoice,
        pendingIpns: pending,
        recheck,
        ...(refunds.length > 0 && { pendingRefunds: refunds }),
      });
    }
  }
  await condition(allHandlersFinished);
  return invoice;
}
