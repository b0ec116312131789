import { ApplicationFailure } from '@temporalio/activity';
import type { Knex } from 'knex';
import { OPEN_STATUSES, type InvoiceRow, type InvoiceStatus } from '../lib/invoice';
import {
  ALLOWED_FROM,
  chargebackTarget,
  judgeIpn,
  judgeOrder,
  REFUNDABLE,
  statusOf,
  type InvoiceFacts,
  type TwoCheckoutOrder,
  type Verdict,
} from '../lib/invoice/decide';
import { recordEvent } from '../lib/events';
import { startWebhook } from '../lib/invoice-client';
import { accountMismatch, loadMerchant } from '../lib/merchants';
import { fromMinorUnits, toMinorUnits } from '../lib/money';
import { parseIpn } from '../lib/twocheckout';
import { ERRORS, type InvoiceOutcome } from '../workflows/shared';
import type { ActivityDeps } from './deps';
import { recordFees } from './fees';
import { ipnMoneyOf, type IpnMoney } from '../lib/invoice/fees';
import { outcomeOf, retryNote } from './invoice-outcome';
import { confirmRefund } from './refunds';
import { twoCheckoutApi } from './twocheckout';

/** Statuses a payment could still move to `paid` (DESIGN.md §3), besides a won chargeback. */
const UNPAID: readonly InvoiceStatus[] = ['awaiting_payment', 'processing', 'expired', 'canceled'];

/** A status change to make, with what the audit trail records about it. */
interface Change {
  readonly to: InvoiceStatus;
  readonly reason: string;
  readonly cause: string;
  readonly order?: TwoCheckoutOrder | null;
  readonly ipnEventId?: number;
  readonly data?: Record<string, unknown>;
}

/** What an IPN states, read from its stored raw bytes: only a verified IPN of this invoice gets this far. */
interface IpnFacts {
  readonly refNo: string;
  readonly orderStatus: string;
  readonly ipnDate: string;
  readonly testOrder: boolean;
  /** IPN_TOTALGENERAL: negative on refunds and reversals. */
  readonly total: string;
  /** IPN_VAT of each line: tax 2Checkout added on top of the prices. */
  readonly vat: readonly string[];
  readonly currency: string;
  readonly chargebackResolution: string;
  /** The same when 2Checkout resends this IPN with a fresh IPN_DATE. */
  readonly messageId: string | null;
  /** What 2Checkout keeps and pays out, as the IPN states it (a refund's: its own). */
  readonly money: IpnMoney | null;
}

interface StoredIpn {
  id: number;
  merchant_id: string;
  invoice_id: string | null;
  verdict: string;
  raw_body: Buffer;
}

/**
 * The invoice workflow's activities (DESIGN.md §7): one per event. Each reads the stored facts, asks 2Checkout
 * (retried by the activity's retry policy, the invoice saying meanwhile which attempt failed and when the next is),
 * judges with lib/invoice/decide, and applies status, audit row and IPN outcome in one transaction. A status change
 * the merchant wants announced starts its webhook workflow, once: its id is the audit row's.
 */
export const invoiceActivities = (deps: ActivityDeps) => {
  const { db, secretBox, clock } = deps;
  const twoCheckout = twoCheckoutApi(deps);

  async function load(invoiceId: string) {
    const invoice = await db<InvoiceRow>('invoices').where({ id: invoiceId }).first();
    if (!invoice) throw ApplicationFailure.nonRetryable(`Invoice ${invoiceId} does not exist`, ERRORS.invoiceNotFound);
    // the setup of the invoice's mode: a test invoice is asked about in the test setup even once the merchant is live
    const merchant = await loadMerchant(db, secretBox, invoice.merchant_id, invoice.livemode);
    if (!merchant)
      throw ApplicationFailure.nonRetryable(`Merchant of ${invoiceId} does not exist`, ERRORS.invoiceNotFound);
    const facts: InvoiceFacts = {
      invoiceId,
      amountMinor: invoice.amount_minor,
      currency: invoice.currency,
      acceptTestOrders: merchant.acceptTestOrders,
    };
    // 2Checkout is asked with the merchant's settings only while they still name the invoice's own account (§8)
    const mismatch = accountMismatch(merchant, invoice, deps.sandboxEnabled);
    return { invoice, merchant, facts, mismatch };
  }

  /**
   * One question to 2Checkout. When it fails and will be asked again, the invoice says so in PostgreSQL (what
   * failed, this attempt, when the next is), and the failure goes to the retry policy.
   */
  async function ask<T>(invoice: InvoiceRow, question: () => Promise<T>): Promise<T> {
    try {
      const answer = await question();
      if (invoice.waiting_reason !== null)
        await db('invoices').where({ id: invoice.id }).update({ waiting_reason: null });
      return answer;
    } catch (err) {
      if (!(err instanceof ApplicationFailure) || err.nonRetryable) throw err;
      await db('invoices')
        .where({ id: invoice.id })
        .update({ waiting_reason: retryNote(err.message, clock()) });
      throw err;
    }
  }

  /** After the transaction: announce the change it recorded, if the merchant wants it (once per audit row). */
  async function announced(result: Applied): Promise<InvoiceOutcome> {
    if (result.announce !== null && deps.temporal)
      await startWebhook(deps.temporal, result.announce, { id: result.invoiceId, merchant_id: result.merchantId });
    return result.outcome;
  }

  return {
    /**
     * A stored IPN, named by the workflow's signal: nothing the signal might say is read. Only a verified IPN that
     * names this invoice is acted on; anything else changes nothing.
     */
    async handleIpn(input: { invoiceId: string; ipnEventId: number }): Promise<InvoiceOutcome> {
      const { invoice, merchant, facts, mismatch } = await load(input.invoiceId);
      const stored = await db<StoredIpn>('ipn_events').where({ id: input.ipnEventId }).first();
      if (
        !stored ||
        stored.verdict !== 'verified' ||
        stored.invoice_id !== invoice.id ||
        stored.merchant_id !== invoice.merchant_id
      )
        return outcomeOf(invoice);
      const ipn = ipnFactsOf(stored.raw_body);
      const cause = `IPN ${ipn.orderStatus} for 2Checkout order ${ipn.refNo} (IPN_DATE ${ipn.ipnDate})`;
      if (mismatch !== null) {
        // No other account can confirm a payment: an unpaid invoice waits for a person; a settled one stays as it is.
        if (!UNPAID.includes(invoice.status)) return recordOutcome(stored.id, invoice, `not_verified: ${mismatch}`);
        const change: Change = {
          to: 'needs_review',
          reason: `not verified: ${mismatch}`,
          cause,
          ipnEventId: stored.id,
        };
        return announced(
          await apply(invoice.id, change, { ipnEventId: stored.id, label: 'not_verified', reason: mismatch }),
        );
      }
      const fetchOrder = () => ask(invoice, () => twoCheckout.fetchOrder(merchant, ipn.refNo));

      if (ipn.orderStatus === 'REFUND') {
        const order = await fetchOrder();
        const verdict = judgeOrder(order, facts);
        if (verdict.kind === 'not_confirmed')
          return recordOutcome(stored.id, invoice, `not_confirmed: ${verdict.reason}`);
        return announced(await applyRefund(invoice.id, stored.id, ipn, cause));
      }
      if (ipn.chargebackResolution !== 'NONE' && ipn.chargebackResolution !== '') {
        const order = await fetchOrder();
        const verdict = judgeOrder(order, facts);
        if (verdict.kind === 'not_confirmed')
          return recordOutcome(stored.id, invoice, `not_confirmed: ${verdict.reason}`);
        const to = chargebackTarget(ipn.chargebackResolution);
        const change: Change | null =
          to === null
            ? null
            : {
                to,
                reason: `chargeback ${ipn.chargebackResolution} on 2Checkout order ${ipn.refNo}`,
                cause,
                ipnEventId: stored.id,
                data: { chargeback: ipn.chargebackResolution },
              };
        return announced(await apply(invoice.id, change, { ipnEventId: stored.id, label: 'chargeback' }));
      }
      const suspicious = judgeIpn(ipn, facts);
      const order = suspicious ? null : await fetchOrder();
      const verdict = suspicious ?? judgeOrder(order, facts, ipn.testOrder);
      return announced(
        await apply(invoice.id, changeFor(verdict, order, cause, stored.id), {
          ipnEventId: stored.id,
          label: verdict.kind,
          reason: verdict.reason,
        }),
      );
    },

    /**
     * At expiry, hourly while a payment is in flight, and when the janitor nudges: every order 2Checkout holds for
     * the invoice decides (§3); with none paid or pending, an invoice past its expiry expires.
     */
    async reconcileInvoice(input: { invoiceId: string }): Promise<InvoiceOutcome> {
      const { invoice, merchant, facts, mismatch } = await load(input.invoiceId);
      if (!OPEN_STATUSES.includes(invoice.status)) return outcomeOf(invoice);
      if (mismatch !== null) {
        const change: Change = {
          to: 'needs_review',
          reason: `not checked with 2Checkout: ${mismatch}`,
          cause: 'reconciliation',
        };
        return announced(await apply(invoice.id, change));
      }
      const orders = await ask(invoice, () => twoCheckout.findOrdersOfInvoice(merchant, invoice));
      const rank = (v: Verdict) => ['paid', 'needs_review', 'in_flight', 'failed'].indexOf(v.kind);
      const best = orders
        .map((order) => ({ order, verdict: judgeOrder(order, facts) }))
        .filter((j) => rank(j.verdict) >= 0)
        .sort((a, b) => rank(a.verdict) - rank(b.verdict))[0];
      if (best) {
        const cause = `reconciliation: GET /orders/?ExternalRefNo=${invoice.id}`;
        return announced(await apply(invoice.id, changeFor(best.verdict, best.order, cause)));
      }
      if (invoice.status === 'awaiting_payment' && clock() >= invoice.expires_at) {
        const change: Change = {
          to: 'expired',
          reason: 'expired: no payment before the deadline, none found at 2Checkout',
          cause: 'expiry timer',
        };
        return announced(await apply(invoice.id, change));
      }
      return outcomeOf(invoice);
    },

    /** The merchant cancels: only an invoice still awaiting payment (the workflow's update validated it too). */
    async cancelInvoice(input: { invoiceId: string; reason?: string }): Promise<InvoiceOutcome> {
      const change: Change = {
        to: 'canceled',
        reason: input.reason ? `canceled by the merchant: ${input.reason}` : 'canceled by the merchant',
        cause: 'merchant: POST /v1/invoices/{id}/cancel',
      };
      const result = await apply(input.invoiceId, change);
      if (result.outcome.status !== 'canceled')
        throw ApplicationFailure.nonRetryable(`Invoice is ${result.outcome.status}`, ERRORS.notCancelable);
      return announced(result);
    },
  };

  /** The IPN's outcome, for the IPN log, when nothing else is written. */
  async function recordOutcome(ipnEventId: number, invoice: InvoiceRow, outcome: string): Promise<InvoiceOutcome> {
    await db('ipn_events').where({ id: ipnEventId }).update({ outcome, outcome_at: db.fn.now() });
    return outcomeOf(invoice);
  }

  /**
   * In one transaction: the status change if the invoice is in a status it may come from, its audit row, and the
   * IPN's outcome. Run again after a commit (a retried activity), it changes nothing and names the same audit row.
   */
  async function apply(
    invoiceId: string,
    change: Change | null,
    ipn?: { ipnEventId: number; label: string; reason?: string },
  ): Promise<Applied> {
    return db.transaction(async (trx) => {
      const before = (await trx<InvoiceRow>('invoices').where({ id: invoiceId }).forUpdate().first())!;
      const announce = await hasWebhooks(trx, before.merchant_id);
      let after = before;
      let audit: number | null = null;
      if (change && change.to !== before.status && ALLOWED_FROM[change.to].includes(before.status)) {
        ({ after, audit } = await changeStatus(trx, before, change));
      } else if (change && change.to === before.status) {
        // made by an earlier attempt of this activity whose answer was lost: announce it still (once, by its id)
        audit = (await lastChangeTo(trx, invoiceId, change.to)) ?? null;
      }
      // what 2Checkout keeps and pays out, once paid: from a verified stored IPN of the order (informational)
      after = await recordFees(trx, after, ipn?.ipnEventId);
      // the event of the change, with the invoice as this transaction leaves it (written once: a retry keeps it)
      if (audit !== null) await recordEvent(trx, audit, after);
      if (ipn) {
        // the status the IPN leads to, when it is in effect (now, or by an earlier attempt); otherwise why not
        const inEffect = change?.to === after.status || ipn.reason === undefined;
        const outcome = `${ipn.label}: ${inEffect ? after.status : ipn.reason}`;
        await trx('ipn_events').where({ id: ipn.ipnEventId }).update({ outcome, outcome_at: trx.fn.now() });
      }
      return {
        invoiceId,
        merchantId: before.merchant_id,
        outcome: outcomeOf(after),
        announce: announce ? audit : null,
      };
    });
  }

  /**
   * A refund 2Checkout reported, counted once per refund (2Checkout's MESSAGE_ID, the same in every resend of its
   * IPN): `partially_refunded` with the total so far, or `refunded` once it reaches the invoice amount.
   */
  async function applyRefund(invoiceId: string, ipnEventId: number, ipn: IpnFacts, cause: string): Promise<Applied> {
    const refundKey = ipn.messageId ? `${ipn.refNo}:${ipn.messageId}` : `ipn:${ipnEventId}`;
    return db.transaction(async (trx) => {
      const invoice = (await trx<InvoiceRow>('invoices').where({ id: invoiceId }).forUpdate().first())!;
      const announce = await hasWebhooks(trx, invoice.merchant_id);
      const outcome = async (text: string, after: InvoiceRow, audit: number | null): Promise<Applied> => {
        await trx('ipn_events').where({ id: ipnEventId }).update({ outcome: text, outcome_at: trx.fn.now() });
        return {
          invoiceId,
          merchantId: invoice.merchant_id,
          outcome: outcomeOf(after),
          announce: announce ? audit : null,
        };
      };
      let amountMinor = 0;
      try {
        amountMinor = -toMinorUnits(ipn.total, invoice.currency);
      } catch {
        // unreadable: below
      }
      if (ipn.currency !== invoice.currency || amountMinor <= 0) {
        if (!ALLOWED_FROM.needs_review.includes(invoice.status))
          return outcome(`refund: ${invoice.status}`, invoice, null);
        const { after, audit } = await changeStatus(trx, invoice, {
          to: 'needs_review',
          reason: `refund IPN with an unreadable amount: ${ipn.total} ${ipn.currency}`,
          cause,
          ipnEventId,
        });
        await recordEvent(trx, audit, after);
        return outcome(`needs_review: ${after.status}`, after, audit);
      }
      const counted = await trx('invoice_events')
        .where({ invoice_id: invoiceId, dedup_key: `refund:${refundKey}` })
        .first<{ id: number } | undefined>('id');
      // Counted already, by a resend of this IPN or an earlier attempt; that row still announces it (once).
      if (counted) return outcome(`refund: ${invoice.status}`, invoice, counted.id);
      if (!REFUNDABLE.includes(invoice.status)) return outcome(`refund: ${invoice.status}`, invoice, null);
      const refundedMinor = Math.min(invoice.amount_minor, invoice.refunded_minor + amountMinor);
      const status: InvoiceStatus = refundedMinor >= invoice.amount_minor ? 'refunded' : 'partially_refunded';
      const [row] = await trx('invoice_events')
        .insert({
          invoice_id: invoiceId,
          type: 'refund',
          from_status: invoice.status,
          to_status: status,
          cause,
          ipn_event_id: ipnEventId,
          data: JSON.stringify({ amountMinor, refundedMinor }),
          dedup_key: `refund:${refundKey}`,
        })
        .returning<{ id: number }[]>('id');
      const reason = `refunded ${fromMinorUnits(refundedMinor, invoice.currency)} of ${fromMinorUnits(invoice.amount_minor, invoice.currency)} ${invoice.currency}`;
      await confirmRefund(trx, invoice, { amountMinor, ipnEventId, refundKey, money: ipn.money });
      const [after] = await trx<InvoiceRow>('invoices')
        .where({ id: invoiceId })
        .update({
          status,
          refunded_minor: refundedMinor,
          status_reason: reason,
          revision: invoice.revision + 1,
          updated_at: trx.fn.now(),
        })
        .returning('*');
      await recordEvent(trx, row!.id, after);
      return outcome(`refund: ${status}`, after!, row!.id);
    });
  }
};

/**
 * Moves the locked invoice `before` to `change.to` (the caller checked it may) and writes the audit row: the next
 * revision, unique per invoice, so no change is recorded twice.
 */
async function changeStatus(
  trx: Knex.Transaction,
  before: InvoiceRow,
  change: Change,
): Promise<{ after: InvoiceRow; audit: number }> {
  const late =
    change.to === 'paid' ? before.status === 'expired' || before.status === 'canceled' || before.late : before.late;
  const order = change.order;
  const [after] = await trx<InvoiceRow>('invoices')
    .where({ id: before.id })
    .update({
      status: change.to,
      status_reason: change.reason,
      late,
      revision: before.revision + 1,
      updated_at: trx.fn.now(),
      ...(change.to === 'paid' && { paid_at: trx.fn.now() }),
      ...(order && { twocheckout_refno: order.refNo }),
      ...(order?.orderNo != null && { twocheckout_order_no: order.orderNo }),
      ...(order?.testOrder != null && { test_order: order.testOrder }),
    })
    .returning('*');
  const data =
    order === undefined && change.data === undefined ? null : { ...(order !== undefined && { order }), ...change.data };
  const [row] = await trx('invoice_events')
    .insert({
      invoice_id: before.id,
      type: 'status_changed',
      from_status: before.status,
      to_status: change.to,
      cause: change.cause,
      ipn_event_id: change.ipnEventId ?? null,
      data: data === null ? null : JSON.stringify(data),
      dedup_key: `status:${before.revision + 1}`,
    })
    .returning<{ id: number }[]>('id');
  return { after: after!, audit: row!.id };
}

interface Applied {
  readonly invoiceId: string;
  readonly merchantId: string;
  readonly outcome: InvoiceOutcome;
  /** The audit row to announce by webhook, or null. */
  readonly announce: number | null;
}

/** The change a verdict of 2Checkout's API asks for; whether it applies is decided against the locked row. */
function changeFor(
  verdict: Verdict,
  order: TwoCheckoutOrder | null,
  cause: string,
  ipnEventId?: number,
): Change | null {
  const to = statusOf(verdict);
  if (to === null) return null;
  return {
    to,
    reason: verdict.reason,
    cause,
    order,
    ...(ipnEventId !== undefined && { ipnEventId }),
    data: { verdict: verdict.kind },
  };
}

function ipnFactsOf(rawBody: Buffer): IpnFacts {
  const ipn = parseIpn(rawBody);
  return {
    refNo: ipn.get('REFNO') ?? '',
    orderStatus: ipn.get('ORDERSTATUS') ?? '',
    ipnDate: ipn.get('IPN_DATE') ?? '',
    testOrder: ipn.get('TEST_ORDER') === '1',
    total: ipn.get('IPN_TOTALGENERAL') ?? '',
    vat: ipn.getAll('IPN_VAT'),
    currency: ipn.get('CURRENCY') ?? '',
    chargebackResolution: ipn.get('CHARGEBACK_RESOLUTION') || 'NONE',
    messageId: ipn.get('MESSAGE_ID') || null,
    money: ipnMoneyOf(ipn),
  };
}

async function hasWebhooks(trx: Knex.Transaction, merchantId: string): Promise<boolean> {
  const merchant = await trx('merchants')
    .where({ id: merchantId })
    .first<{ webhook_url: string | null }>('webhook_url');
  return merchant?.webhook_url != null;
}

async function lastChangeTo(trx: Knex.Transaction, invoiceId: string, to: InvoiceStatus): Promise<number | null> {
  const row = await trx('invoice_events')
    .where({ invoice_id: invoiceId, to_status: to })
    .orderBy('id', 'desc')
    .first<{ id: number } | undefined>('id');
  return row?.id ?? null;
}
