import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
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
} from './shared';

// Our own database: a failure is brief (restart, failover); retry fast and keep trying.
const db = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});
// 2Checkout's API can be down or refuse us for hours; keep asking, the invoice says why meanwhile (§3).
const twoCheckout = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m' },
});

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
    if (seen.has(event.ipnEventId)) return; // the relay and the fast path may both deliver it
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
    reason: invoice.reason ?? `waiting for payment until ${invoice.expiresAt}`,
    late: invoice.late,
    refNo: invoice.refNo,
    checkoutUrl: invoice.checkoutUrl,
  };
  opened = true;
  searchAttributes();

  async function transition(to: InvoiceStatus, reason: string, cause: string, extra: Partial<TransitionExtra> = {}) {
    const late = to === 'paid' ? state.status === 'expired' || state.status === 'canceled' || state.late : undefined;
    const result = await db.transitionInvoice({ invoiceId: input.invoiceId, to, reason, cause, late, ...extra });
    state = {
      ...state,
      status: result.status,
      late: result.late,
      reason: result.changed ? reason : state.reason,
      refNo: extra.refNo ?? state.refNo,
    };
    searchAttributes();
  }

  function searchAttributes() {
    const pairs: SearchAttributeUpdatePair[] = [{ key: SEARCH_ATTRIBUTES.invoiceStatus, value: state.status }];
    if (state.refNo !== null) pairs.push({ key: SEARCH_ATTRIBUTES.twoCheckoutRefNo, value: state.refNo });
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
    const order = await twoCheckout.getOrder({ merchantId: input.merchantId, refNo: event.refNo });
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
      amountMinor,
      cause,
    });
    if (result.changed) {
      state = {
        ...state,
        status: result.status,
        reason: `refunded ${fromMinorUnits(result.refundedMinor, facts.currency)} of ${fromMinorUnits(facts.amountMinor, facts.currency)} ${facts.currency}`,
      };
      searchAttributes();
    }
    return `refund: ${result.status}`;
  }

  /** A chargeback update (COMPLETE with CHARGEBACK_RESOLUTION): OPEN → disputed, WON → paid, LOST → charged_back. */
  async function handleChargeback(event: PaymentEvent, cause: string): Promise<string> {
    const order = await twoCheckout.getOrder({ merchantId: input.merchantId, refNo: event.refNo });
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
    const order = suspicious ? null : await twoCheckout.getOrder({ merchantId: input.merchantId, refNo: event.refNo });
    const verdict = suspicious ?? judgeOrder(order, facts, event.testOrder);
    const outcome = await apply(verdict, order, cause, event.ipnEventId);
    if (verdict.kind === 'not_confirmed') state = { ...state, reason: reasonBefore }; // nothing changed: say so
    await db.recordIpnOutcome(event.ipnEventId, outcome);
    log.info('payment event handled', { ipnEventId: event.ipnEventId, outcome });
  }

  /** At expiry, and while in flight: ask 2Checkout for every order of this invoice before deciding (§3). */
  async function reconcile() {
    const orders = await twoCheckout.findOrdersByExternalRef({
      merchantId: input.merchantId,
      invoiceId: input.invoiceId,
    });
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
      if (wait > 0) await condition(() => pending.length > 0 || !isOpen() || recheck, wait);
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
    if (pending.length === 0) await condition(() => pending.length > 0, Math.max(graceEnds - Date.now(), 1));
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
