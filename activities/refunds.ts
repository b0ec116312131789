import { ApplicationFailure } from '@temporalio/activity';
import type { Knex } from 'knex';
import type { InvoiceRow } from '../lib/invoice';
import { accountMismatch, loadMerchant } from '../lib/merchants';
import { fromMinorUnits } from '../lib/money';
import { MERCHANT_REFUNDABLE, type RefundRow, type RefundStatus } from '../lib/refunds';
import { newId } from '../lib/ids';
import type { IpnMoney } from '../lib/invoice/fees';
import { ERRORS, type InvoiceOutcome } from '../workflows/shared';
import type { ActivityDeps } from './deps';
import { outcomeOf, retryNote } from './invoice-outcome';
import { twoCheckoutApi, type RefundRequestBody } from './twocheckout';

/** The refund reason 2Checkout's own modules send; the merchant's words go in the comment. */
const TWOCHECKOUT_REASON = 'Other';

/**
 * The refund the merchant asked for, sent to 2Checkout by the invoice's workflow (DESIGN.md §7): at most once. The
 * row is marked just before the request leaves, in a transaction of its own; a retry that finds the mark (the worker
 * died, or the answer was lost) never sends it again: the refund waits for a person, or for 2Checkout's refund
 * notification, which confirms it either way. The invoice itself changes only by that notification.
 */
export const refundActivities = (deps: ActivityDeps) => {
  const { db, secretBox, clock } = deps;
  const twoCheckout = twoCheckoutApi(deps);

  /** Moves a refund out of `requested`, with its audit row, unless something else moved it first. */
  async function settleRefund(
    refund: RefundRow,
    to: Exclude<RefundStatus, 'requested' | 'succeeded'>,
    reason: string,
    sentAmountMinor?: number,
  ): Promise<void> {
    await db.transaction(async (trx) => {
      const moved = await trx('refunds')
        .where({ id: refund.id, status: 'requested' })
        .update({
          status: to,
          status_reason: reason,
          updated_at: trx.fn.now(),
          ...(to === 'pending' && { sent_at: trx.fn.now() }),
          ...(to === 'failed' && { settled_at: trx.fn.now() }),
          ...(sentAmountMinor !== undefined && { sent_amount_minor: sentAmountMinor }),
        });
      if (moved === 0) return;
      await trx('invoice_events')
        .insert({
          invoice_id: refund.invoice_id,
          type: `refund_${to}`,
          cause: reason,
          data: JSON.stringify({
            refundId: refund.id,
            amount: fromMinorUnits(refund.amount_minor, refund.currency),
          }),
          dedup_key: `refund_${to}:${refund.id}`,
        })
        .onConflict(['invoice_id', 'dedup_key'])
        .ignore();
    });
  }

  return {
    /** Sends one `requested` refund to 2Checkout; any other refund (sent, settled, unknown) is left as it is. */
    async sendRefund(input: { invoiceId: string; refundId: string }): Promise<InvoiceOutcome> {
      const invoice = await db<InvoiceRow>('invoices').where({ id: input.invoiceId }).first();
      if (!invoice)
        throw ApplicationFailure.nonRetryable(`Invoice ${input.invoiceId} does not exist`, ERRORS.invoiceNotFound);
      const outcome = outcomeOf(invoice);
      const refund = await db<RefundRow>('refunds').where({ id: input.refundId, invoice_id: invoice.id }).first();
      if (!refund || refund.status !== 'requested') return outcome;

      if (refund.send_started_at !== null) {
        await settleRefund(
          refund,
          'needs_review',
          'an earlier attempt may have reached 2Checkout and left no answer: not sent again. Its refund notification confirms it; otherwise check the order in the 2Checkout Control Panel',
        );
        return outcome;
      }
      const merchant = await loadMerchant(db, secretBox, invoice.merchant_id, invoice.livemode);
      const mismatch = merchant ? accountMismatch(merchant, invoice, deps.sandboxEnabled) : 'the merchant is gone';
      if (mismatch !== null) {
        await settleRefund(refund, 'failed', `not sent: ${mismatch}`);
        return outcome;
      }
      if (!MERCHANT_REFUNDABLE.includes(invoice.status) || invoice.twocheckout_refno === null) {
        await settleRefund(refund, 'failed', `not sent: the invoice is ${invoice.status} now`);
        return outcome;
      }
      const refNo = invoice.twocheckout_refno;

      /** A failure that leaves it `requested`: said on the refund, then retried by the activity's policy. */
      const retryLater = async (message: string): Promise<never> => {
        await db('refunds')
          .where({ id: refund.id, status: 'requested' })
          .update({ status_reason: retryNote(message, clock()), send_started_at: null });
        throw ApplicationFailure.retryable(message, ERRORS.twoCheckoutUnreachable);
      };

      let order: Awaited<ReturnType<typeof twoCheckout.orderLines>>;
      try {
        order = await twoCheckout.orderLines(merchant!, refNo);
      } catch (err) {
        return retryLater(err instanceof Error ? err.message : String(err));
      }
      if (order === null) {
        await settleRefund(refund, 'failed', `not sent: 2Checkout has no order ${refNo}`);
        return outcome;
      }
      const body = refundBody(refund, invoice, order);
      if ('refused' in body) {
        await settleRefund(refund, 'failed', `not sent: ${body.refused}`);
        return outcome;
      }

      // The mark: from here on, a retry of this activity does not send again.
      const marked = await db('refunds')
        .where({ id: refund.id, status: 'requested' })
        .whereNull('send_started_at')
        .update({ send_started_at: db.fn.now(), status_reason: `sending to 2Checkout order ${refNo}` });
      if (marked === 0) return outcome;
      const answer = await twoCheckout.refundOrder(merchant!, refNo, body.request);
      const asked = `${fromMinorUnits(body.sentMinor, refund.currency)} ${refund.currency} of 2Checkout order ${refNo}`;
      switch (answer.kind) {
        case 'accepted':
          await settleRefund(
            refund,
            'pending',
            `2Checkout registered the refund of ${asked}; waiting for its refund notification`,
            body.sentMinor,
          );
          return outcome;
        case 'refused':
          await settleRefund(refund, 'failed', `2Checkout refused the refund of ${asked}: ${answer.message}`);
          return outcome;
        case 'unknown':
          await settleRefund(
            refund,
            'needs_review',
            `no answer from 2Checkout to the refund of ${asked} (${answer.message}): not sent again. Its refund notification confirms it; otherwise check the order in the 2Checkout Control Panel`,
            body.sentMinor,
          );
          return outcome;
        case 'not_sent':
          return retryLater(answer.message);
      }
    },
  };
};

/**
 * What 2Checkout is asked (its documented body; its modules' practice): a full refund of what is left is the
 * order's whole GrossPrice, tax included, without lines; a partial one names the order's largest line, and can be at
 * most that line's price.
 */
function refundBody(
  refund: RefundRow,
  invoice: InvoiceRow,
  order: { grossMinor: number | null; lines: readonly { reference: string; grossMinor: number | null }[] },
): { request: RefundRequestBody; sentMinor: number } | { refused: string } {
  const amount = (minor: number) => Number(fromMinorUnits(minor, refund.currency));
  const comment = refund.reason ?? `Refund of invoice ${invoice.id}`;
  const whole = invoice.refunded_minor === 0 && refund.amount_minor === invoice.amount_minor;
  if (whole) {
    const sentMinor = order.grossMinor ?? refund.amount_minor;
    return { request: { amount: amount(sentMinor), comment, reason: TWOCHECKOUT_REASON }, sentMinor };
  }
  const line = [...order.lines]
    .filter((l) => l.reference !== '' && l.grossMinor !== null)
    .sort((a, b) => b.grossMinor! - a.grossMinor!)[0];
  if (!line) return { refused: "2Checkout's order lists no line a partial refund could name" };
  if (refund.amount_minor > line.grossMinor!) {
    return {
      refused: `2Checkout refunds part of an order from one of its lines, and its largest is ${fromMinorUnits(line.grossMinor!, refund.currency)} ${refund.currency}`,
    };
  }
  return {
    request: {
      amount: amount(refund.amount_minor),
      comment,
      reason: TWOCHECKOUT_REASON,
      items: [{ LineItemReference: line.reference, Quantity: 1, Amount: amount(refund.amount_minor) }],
    },
    sentMinor: refund.amount_minor,
  };
}

/** What 2Checkout reported about a refund, from its signed notification. */
export interface ConfirmedRefund {
  readonly amountMinor: number;
  readonly ipnEventId: number;
  /** 2Checkout's refund, by order and MESSAGE_ID: the same in every resend. */
  readonly refundKey: string;
  readonly money?: IpnMoney | null;
}

/**
 * In the transaction that counts a refund notification: the refund the merchant asked for that it confirms (the
 * amount asked for, or what was sent for it), or a refund of its own when it was made in 2Checkout's Control Panel.
 */
export async function confirmRefund(trx: Knex.Transaction, invoice: InvoiceRow, confirmed: ConfirmedRefund) {
  const open = await trx<RefundRow>('refunds')
    .where({ invoice_id: invoice.id })
    .whereIn('status', ['requested', 'pending', 'needs_review'])
    .orderBy('created_at')
    .forUpdate();
  const match = open.find(
    (r) => r.amount_minor === confirmed.amountMinor || r.sent_amount_minor === confirmed.amountMinor,
  );
  const money = confirmed.money;
  const fields = {
    status: 'succeeded' as const,
    status_reason: "confirmed by 2Checkout's refund notification",
    ipn_event_id: confirmed.ipnEventId,
    refund_key: confirmed.refundKey,
    fee_minor: money?.feeMinor ?? null,
    fee_currency: money?.feeCurrency ?? null,
    payout_minor: money?.payoutMinor ?? null,
    payout_currency: money?.payoutCurrency ?? null,
    settled_at: trx.fn.now(),
    updated_at: trx.fn.now(),
  };
  if (match) {
    await trx('refunds').where({ id: match.id }).update(fields);
    return match.id;
  }
  const id = newId('rf');
  await trx('refunds').insert({
    id,
    invoice_id: invoice.id,
    merchant_id: invoice.merchant_id,
    livemode: invoice.livemode,
    amount_minor: confirmed.amountMinor,
    currency: invoice.currency,
    source: 'twocheckout',
    ...fields,
    status_reason: 'made at 2Checkout; reported by its refund notification',
  });
  return id;
}
