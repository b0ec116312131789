import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, type SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities';
import type { TwoCheckoutOrder } from './decide';
import {
  ALLOWED_FROM,
  chargebackTarget,
  judgeIpn,
  judgeOrder,
  targetOf,
  type InvoiceFacts,
  type Verdict,
} from './decide';
import { fromMinorUnits, toMinorUnits } from '../lib/money';
import {
  cancelUpdate,
  checkoutLinkUpdate,
  DEFAULT_GRACE_PERIOD_MS,
  ERRORS,
  OPEN_STATUSES,
  paymentEventSignal,
  recheckSignal,
  SEARCH_ATTRIBUTES,
  stateQuery,
  type InvoiceState,
  type InvoiceStatus,
  type InvoiceWorkflowInput,
  type InvoiceWorkflowResult,
  type PaymentEvent,
  webhookWorkflowIdOf,
} from './shared';
import { webhookWorkflow } from './webhook';

// Our own database: a failure is brief (restart, failover); retry fast and keep trying.
const db = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});
// One request to 2Checkout's API per activity: the workflow itself retries (askTwoCheckout), so the invoice can say
// which attempt failed and when the next one is.
const twoCheckout = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 1 },
});
// 2Checkout's API can be down or refuse us for hours: keep asking, 2 s doubling to 10 min, never giving up (§3).
const TWOCHECKOUT_RETRY = { firstMs: 2_000, maxMs: 10 * 60_000 };

/** While a payment is in flight after expiry, 2Checkout is asked again this often. */
const RECHECK_IN_FLIGHT_MS = 3600 * 1000;

/** One invoice from its signed checkout link to a final status, and the grace period after it. */
export async function invoiceWorkflow(input: InvoiceWorkflowInput): Promise<InvoiceWorkflowResult> {
  const pending: PaymentEvent[] = [];
  const seen = new Set<number>();
  let state: InvoiceState = {
    status: 'awaiting_payment',
    reason: 'opening',
    late: false,
    refNo: null,
    checkoutUrl: null,
  };
  let opened = false;

  setHandler(paymentEventSignal, (event) => {
    // The relay and the fast path may both deliver an IPN; ops may replay one on purpose (handling is idempotent).
    if (seen.has(event.ipnEventId) && !event.replay) return;
    seen.add(event.ipnEventId);
    pending.push(event);
  });
  let recheck = false;
  setHandler(recheckSignal, () => void (recheck = true));
  setHandler(stateQuery, () => state);
  setHandler(checkoutLinkUpdate, async () => {
    await condition(() => opened);
    if (state.checkoutUrl === null) {
      throw ApplicationFailure.nonRetryable(`Invoice is ${state.status}: no checkout link`, ERRORS.noCheckoutLink);
    }
    return state.checkoutUrl;
  });
  setHandler(
    cancelUpdate,
    async ({ reason }) => {
      await transition(
        'canceled',
        reason ? `canceled by the merchant: ${reason}` : 'canceled by the merchant',
        'merchant: POST /v1/invoices/{id}/cancel',
      );
      if (state.status !== 'canceled') {
        throw ApplicationFailure.nonRetryable(`Invoice is ${state.status}`, ERRORS.notCancelable);
      }
      return state;
    },
    {
      validator: (_request) => {
        if (!opened || state.status !== 'awaiting_payment') {
          throw new Error(`Only an invoice awaiting payment can be canceled; this one is ${state.status}`);
        }
      },
    },
  );

  const invoice = await db.openInvoice(input.invoiceId);
  const facts: InvoiceFacts = {
    invoiceId: input.invoiceId,
    amountMinor: invoice.amountMinor,
    currency: invoice.currency,
    acceptTestOrders: invoice.acceptTestOrders,
  };
  const expiresAt = new Date(invoice.expiresAt).getTime();
  state = {
    status: invoice.status,
    reason: invoice.reason ?? `waiting for an IPN since ${at(Date.now())}; expires at ${at(expiresAt)}`,
    late: invoice.late,
    refNo: invoice.refNo,
    checkoutUrl: invoice.checkoutUrl,
  };
  opened = true;
  searchAttributes();

  async function transition(to: InvoiceStatus, reason: string, cause: string, extra: Partial<TransitionExtra> = {}) {
    const late = to === 'paid' ? state.status === 'expired' || state.status === 'canceled' || state.late : undefined;
    const before = state.status;
    const result = await db.changeInvoiceStatus({ invoiceId: input.invoiceId, to, reason, cause, late, ...extra });
    // Moved: by this call, or by an earlier attempt of it whose answer was lost (result.changed is then false).
    const moved = result.status !== before;
    state = {
      ...state,
      status: result.status,
      late: result.late,
      reason: moved ? reason : state.reason,
      refNo: extra.refNo ?? state.refNo,
    };
    searchAttributes(moved);
    await announce(result);
  }

  /** Starts the webhook announcing a change, once per change: its workflow id is the event id. */
  async function announce(change: { auditEventId: number | null; announce: boolean }) {
    if (change.auditEventId === null || !change.announce) return;
    try {
      await startChild(webhookWorkflow, {
        workflowId: webhookWorkflowIdOf(change.auditEventId),
        args: [{ auditEventId: change.auditEventId }],
        parentClosePolicy: ParentClosePolicy.ABANDON, // delivery outlives this run: up to 3 days of retries
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTES.invoiceId, value: input.invoiceId },
          { key: SEARCH_ATTRIBUTES.merchantId, value: input.merchantId },
        ],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err; // announced by an earlier attempt
    }
  }

  /**
   * One question to 2Checkout's API, asked until it answers: while it cannot, the invoice says why, which attempt
   * failed and when the next is (the Temporal UI's `state` query and the API's statusReason).
   */
  async function askTwoCheckout<T>(call: () => Promise<T>): Promise<T> {
    const reasonBefore = state.reason;
    let retrying: string | null = null;
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await call();
        if (retrying !== null && state.reason === retrying) state = { ...state, reason: reasonBefore };
        return answer;
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        const failure = err.cause instanceof ApplicationFailure ? err.cause : undefined;
        if (failure?.nonRetryable) throw err;
        const waitMs = Math.min(TWOCHECKOUT_RETRY.firstMs * 2 ** (attempt - 1), TWOCHECKOUT_RETRY.maxMs);
        const what = failure?.message ?? `2Checkout API call failed (${err.cause?.message ?? err.message})`;
        retrying = `${what}; attempt ${attempt}, next at ${at(Date.now() + waitMs)}`;
        state = { ...state, reason: retrying };
        await sleep(waitMs, { summary: `ask 2Checkout again (attempt ${attempt + 1})` });
      }
    }
  }

  /** Mirrors the invoice in its search attributes; `changed`: the status just changed (InvoiceStatusChangedAt). */
  function searchAttributes(changed = false) {
    const pairs: SearchAttributeUpdatePair[] = [
      { key: SEARCH_ATTRIBUTES.invoiceStatus, value: state.status },
      { key: SEARCH_ATTRIBUTES.invoiceLate, value: state.late },
    ];
    if (state.refNo !== null) pairs.push({ key: SEARCH_ATTRIBUTES.twoCheckoutRefNo, value: state.refNo });
    if (changed) pairs.push({ key: SEARCH_ATTRIBUTES.invoiceStatusChangedAt, value: new Date() });
    upsertSearchAttributes(pairs);
  }

  /** Acts on one verdict of 2Checkout's API; returns what happened, for the IPN log. */
  async function apply(verdict: Verdict, order: TwoCheckoutOrder | null, cause: string, ipnEventId?: number) {
    const to = targetOf(verdict, state.status);
    if (to === null) {
      if (verdict.kind !== 'not_confirmed' && state.status === 'processing')
        state = { ...state, reason: verdict.reason };
      return `${verdict.kind}: ${verdict.reason}`;
    }
    await transition(to, verdict.reason, cause, {
      ...(order && { refNo: order.refNo, orderNo: order.orderNo, testOrder: order.testOrder }),
      ...(ipnEventId !== undefined && { ipnEventId }),
      data: { verdict: verdict.kind, order },
    });
    return `${verdict.kind}: ${state.status}`;
  }

  /** A refund IPN: 2Checkout must confirm the order is this invoice's; the refunded amount is the IPN's. */
  async function handleRefund(event: PaymentEvent, cause: string): Promise<string> {
    const order = await askTwoCheckout(() =>
      twoCheckout.fetchTwoCheckoutOrder({ merchantId: input.merchantId, refNo: event.refNo }),
    );
    const verdict = judgeOrder(order, facts);
    if (verdict.kind === 'not_confirmed') return `not_confirmed: ${verdict.reason}`;
    let amountMinor: number;
    try {
      amountMinor = -toMinorUnits(event.total, facts.currency);
    } catch {
      amountMinor = 0;
    }
    if (event.currency !== facts.currency || amountMinor <= 0) {
      await transition(
        'needs_review',
        `refund IPN with an unreadable amount: ${event.total} ${event.currency}`,
        cause,
        {
          ipnEventId: event.ipnEventId,
        },
      );
      return `needs_review: ${state.status}`;
    }
    const result = await db.recordRefund({
      invoiceId: input.invoiceId,
      ipnEventId: event.ipnEventId,
      // one refund, however often 2Checkout sends its IPN (a resend has a fresh IPN_DATE: another stored IPN)
      refundKey: event.messageId ? `${event.refNo}:${event.messageId}` : `ipn:${event.ipnEventId}`,
      amountMinor,
      cause,
    });
    // Counted: by this call, or by an earlier attempt of it (auditEventId is the refund's row either way).
    if (result.auditEventId !== null) {
      const before = state.status;
      state = {
        ...state,
        status: result.status,
        reason: `refunded ${fromMinorUnits(result.refundedMinor, facts.currency)} of ${fromMinorUnits(facts.amountMinor, facts.currency)} ${facts.currency}`,
      };
      searchAttributes(result.status !== before);
    }
    await announce(result);
    return `refund: ${result.status}`;
  }

  /** A chargeback update (COMPLETE with CHARGEBACK_RESOLUTION): OPEN → disputed, WON → paid, LOST → charged_back. */
  async function handleChargeback(event: PaymentEvent, cause: string): Promise<string> {
    const order = await askTwoCheckout(() =>
      twoCheckout.fetchTwoCheckoutOrder({ merchantId: input.merchantId, refNo: event.refNo }),
    );
    const verdict = judgeOrder(order, facts);
    if (verdict.kind === 'not_confirmed') return `not_confirmed: ${verdict.reason}`;
    const to = chargebackTarget(event.chargebackResolution);
    if (to === null || to === state.status || !ALLOWED_FROM[to].includes(state.status))
      return `no_change: ${state.status}`;
    await transition(to, `chargeback ${event.chargebackResolution} on 2Checkout order ${event.refNo}`, cause, {
      ipnEventId: event.ipnEventId,
      data: { chargeback: event.chargebackResolution },
    });
    return `chargeback: ${state.status}`;
  }

  async function handle(event: PaymentEvent) {
    const cause = `IPN ${event.orderStatus} for 2Checkout order ${event.refNo} (IPN_DATE ${event.ipnDate})`;
    if (
      event.orderStatus === 'REFUND' ||
      (event.chargebackResolution !== 'NONE' && event.chargebackResolution !== '')
    ) {
      const outcome =
        event.orderStatus === 'REFUND' ? await handleRefund(event, cause) : await handleChargeback(event, cause);
      await db.recordIpnOutcome(event.ipnEventId, outcome);
      return;
    }
    const reasonBefore = state.reason;
    state = {
      ...state,
      reason: `verifying 2Checkout order ${event.refNo} (${event.orderStatus}) with 2Checkout's API`,
    };
    const suspicious = judgeIpn(event, facts);
    const order = suspicious
      ? null
      : await askTwoCheckout(() =>
          twoCheckout.fetchTwoCheckoutOrder({ merchantId: input.merchantId, refNo: event.refNo }),
        );
    const verdict = suspicious ?? judgeOrder(order, facts, event.testOrder);
    const outcome = await apply(verdict, order, cause, event.ipnEventId);
    if (verdict.kind === 'not_confirmed') state = { ...state, reason: reasonBefore }; // nothing changed: say so
    await db.recordIpnOutcome(event.ipnEventId, outcome);
    log.info('payment event handled', { ipnEventId: event.ipnEventId, outcome });
  }

  /** At expiry, and while in flight: ask 2Checkout for every order of this invoice before deciding (§3). */
  async function reconcile() {
    const orders = await askTwoCheckout(() =>
      twoCheckout.findTwoCheckoutOrdersOfInvoice({ merchantId: input.merchantId, invoiceId: input.invoiceId }),
    );
    const judged = orders.map((order) => ({ order, verdict: judgeOrder(order, facts) }));
    const rank = (v: Verdict) => ['paid', 'needs_review', 'in_flight', 'failed'].indexOf(v.kind);
    const best = judged.filter((j) => rank(j.verdict) >= 0).sort((a, b) => rank(a.verdict) - rank(b.verdict))[0];
    if (best) {
      await apply(best.verdict, best.order, `reconciliation: GET /orders/?ExternalRefNo=${input.invoiceId}`);
    } else if (state.status === 'awaiting_payment' && Date.now() >= expiresAt) {
      await transition('expired', 'expired: no payment before the deadline, none found at 2Checkout', 'expiry timer');
    }
  }

  const isOpen = () => OPEN_STATUSES.includes(state.status);
  while (isOpen()) {
    if (pending.length === 0) {
      const wait = state.status === 'awaiting_payment' ? expiresAt - Date.now() : RECHECK_IN_FLIGHT_MS;
      const summary = state.status === 'awaiting_payment' ? 'until the invoice expires' : 'until the hourly re-check';
      if (wait > 0) await condition(() => pending.length > 0 || !isOpen() || recheck, wait, { summary });
    }
    recheck = false;
    const event = pending.shift();
    if (event) await handle(event);
    else if (isOpen()) await reconcile();
  }

  // Settled: still listen for late events (a payment after expiry or cancel, 2Checkout's retries) for a while.
  const graceMs = input.gracePeriodMs ?? DEFAULT_GRACE_PERIOD_MS;
  const graceEnds = Date.now() + graceMs;
  for (;;) {
    if (pending.length === 0)
      await condition(() => pending.length > 0, Math.max(graceEnds - Date.now(), 1), {
        summary: 'grace period: late IPNs',
      });
    // A signal may land in the same activation as the timer that ends the grace period: never drop it.
    const event = pending.shift();
    if (event) await handle(event);
    else if (Date.now() >= graceEnds) break;
  }
  await condition(allHandlersFinished);
  return { status: state.status, late: state.late };
}

interface TransitionExtra {
  refNo: string;
  orderNo: string | null;
  testOrder: boolean | null;
  ipnEventId: number;
  data: Record<string, unknown>;
}

/** A moment as people read it in a status reason: UTC, to the second. */
function at(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
