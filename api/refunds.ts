import type { InvoiceRow } from '../lib/invoice';
import { requestRefundRun, loadInvoiceRun } from '../lib/invoice-client';
import { newId } from '../lib/ids';
import { fromMinorUnits, toMinorUnits } from '../lib/money';
import {
  MERCHANT_REFUNDABLE,
  OPEN_REFUND_STATUSES,
  refundView,
  type RefundRow,
  type RefundSource,
} from '../lib/refunds';
import type { ApiDeps } from './deps';
import { HttpError, invalidField, notFound } from './errors';
import { idempotent, type IdempotencyClaim, type IdempotentAnswer } from './idempotency';
import type { ModeScope } from '../lib/merchants';
import type { CreateRefundBody } from './schemas';

/**
 * `POST /v1/invoices/{id}/refunds` under its Idempotency-Key, as the API and the dashboard's form both send it (one
 * fingerprint for both): 202 with the refund `requested`, or the first answer again.
 */
export function requestRefundOnce(
  deps: ApiDeps,
  scope: ModeScope,
  invoiceId: string,
  body: CreateRefundBody,
  key: string,
  source: Exclude<RefundSource, 'twocheckout'>,
): Promise<IdempotentAnswer> {
  const { merchant_id: merchantId, livemode } = scope;
  const request = { merchantId, livemode, key, method: 'POST', path: `/v1/invoices/${invoiceId}/refunds`, body };
  return idempotent(deps, request, async (claim) => {
    const { refund } = await requestRefund(deps, scope, invoiceId, body, source, claim);
    return { status: 202, body: refundView(refund) };
  });
}

/**
 * A refund the merchant asks for (`POST /v1/invoices/{id}/refunds`, or the dashboard's form): checked and recorded
 * as `requested` in one transaction with the invoice locked, so two requests can never ask for more than is left;
 * then handed to the invoice's workflow, which sends it to 2Checkout once. Always under an Idempotency-Key
 * (api/idempotency.ts): the refund is recorded with the key, and when an earlier attempt recorded one and then failed
 * (Temporal was down), this hands that refund over again instead of making another. Returns the refund, and whether
 * it was made now.
 */
export async function requestRefund(
  deps: ApiDeps,
  /** Whose invoice it must be: the merchant's, of the calling key's mode (else 404). */
  scope: ModeScope,
  invoiceId: string,
  body: CreateRefundBody,
  source: Exclude<RefundSource, 'twocheckout'>,
  claim: IdempotencyClaim,
): Promise<{ refund: RefundRow; created: boolean }> {
  const made = await deps.db.transaction(async (trx) => {
    const invoice = await trx<InvoiceRow>('invoices')
      .where({ id: invoiceId, ...scope })
      .forUpdate()
      .first();
    if (!invoice) throw notFound('Invoice');
    if (claim.recorded !== null) {
      return { refund: (await trx<RefundRow>('refunds').where({ id: claim.recorded }).first())!, created: false };
    }
    if (!MERCHANT_REFUNDABLE.includes(invoice.status) || invoice.twocheckout_refno === null) {
      throw new HttpError(
        409,
        'invoice_not_refundable',
        `Only a paid invoice can be refunded; this one is ${invoice.status}`,
      );
    }
    const open = await trx<RefundRow>('refunds')
      .where({ invoice_id: invoice.id })
      .whereIn('status', OPEN_REFUND_STATUSES)
      .orderBy('created_at');
    if (open.length > 0) {
      // 2Checkout takes one refund of an order at a time ("You already have a pending refund request").
      throw new HttpError(
        409,
        'refund_in_progress',
        `Refund ${open[0]!.id} of this invoice is ${open[0]!.status}; ask for another once 2Checkout has confirmed it`,
      );
    }
    const left = invoice.amount_minor - invoice.refunded_minor;
    const show = (minor: number) => `${fromMinorUnits(minor, invoice.currency)} ${invoice.currency}`;
    let amountMinor = left;
    if (body.amount !== undefined) {
      try {
        amountMinor = toMinorUnits(body.amount, invoice.currency);
      } catch (err) {
        throw invalidField('amount', (err as Error).message);
      }
      if (amountMinor <= 0) throw invalidField('amount', 'must be positive');
    }
    if (amountMinor > left || left <= 0) {
      throw new HttpError(
        422,
        'refund_exceeds_remaining',
        `${show(amountMinor)} is more than is left to refund: ${show(left)} of ${show(invoice.amount_minor)}`,
      );
    }
    const [refund] = await trx<RefundRow>('refunds')
      .insert({
        id: newId('rf'),
        invoice_id: invoice.id,
        merchant_id: invoice.merchant_id,
        livemode: invoice.livemode,
        amount_minor: amountMinor,
        currency: invoice.currency,
        reason: body.reason ?? null,
        status: 'requested',
        status_reason: 'recorded; the invoice workflow sends it to 2Checkout',
        source,
      })
      .returning('*');
    await claim.record(trx, refund!.id);
    await trx('invoice_events').insert({
      invoice_id: invoice.id,
      type: 'refund_requested',
      cause:
        source === 'api' ? 'merchant: POST /v1/invoices/{id}/refunds' : 'merchant: the dashboard\u2019s refund form',
      data: JSON.stringify({ refundId: refund!.id, amount: fromMinorUnits(amountMinor, invoice.currency) }),
      dedup_key: `refund_requested:${refund!.id}`,
    });
    return { refund: refund!, created: true };
  });
  // A retry of a refund still `requested` hands it over again: the first hand-over may not have reached Temporal.
  if (made.refund.status === 'requested') await handOver(deps, made.refund);
  return made;
}

/** Signals the invoice's workflow (starting a run if none): the refund stays `requested` until it is sent. */
async function handOver(deps: ApiDeps, refund: RefundRow): Promise<void> {
  try {
    const run = await loadInvoiceRun(deps.db, refund.invoice_id);
    await requestRefundRun(deps.temporal, run!, refund.id);
  } catch (err) {
    deps.log('could not hand a refund to its invoice workflow', { refundId: refund.id, error: String(err) });
    throw new HttpError(
      503,
      'service_unavailable',
      `Refund ${refund.id} is recorded but could not be handed to the invoice workflow yet; retry with the same Idempotency-Key`,
    );
  }
}

export async function refundsOf(deps: Pick<ApiDeps, 'db'>, invoiceId: string): Promise<RefundRow[]> {
  return deps.db<RefundRow>('refunds').where({ invoice_id: invoiceId }).orderBy('created_at').orderBy('id');
}
