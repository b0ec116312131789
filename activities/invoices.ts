import { ApplicationFailure } from '@temporalio/activity';
import { loadMerchant, twoCheckoutEndpoints } from '../lib/merchants';
import { fromMinorUnits } from '../lib/money';
import { buildDynamicBuyLink, type BuyLinkItem } from '../lib/twocheckout';
import { ALLOWED_FROM, REFUNDABLE } from '../workflows/decide';
import { ERRORS, type InvoiceStatus } from '../workflows/shared';
import type { ActivityDeps } from './deps';

export interface InvoiceRow {
  id: string;
  merchant_id: string;
  product_id: string | null;
  items: { name: string; unitPriceMinor: number; quantity: number }[];
  amount_minor: number;
  currency: string;
  status: InvoiceStatus;
  status_reason: string | null;
  late: boolean;
  refunded_minor: number;
  expires_at: Date;
  checkout_url: string | null;
  twocheckout_refno: string | null;
  twocheckout_order_no: string | null;
  test_order: boolean | null;
  customer_email: string | null;
  external_id: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  paid_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** What the workflow needs to run an invoice; no secrets. */
export interface OpenedInvoice {
  readonly status: InvoiceStatus;
  readonly reason: string | null;
  readonly late: boolean;
  readonly amountMinor: number;
  readonly currency: string;
  readonly expiresAt: string;
  readonly checkoutUrl: string | null;
  readonly refNo: string | null;
  readonly acceptTestOrders: boolean;
}

export interface Transition {
  readonly invoiceId: string;
  readonly to: InvoiceStatus;
  readonly reason: string;
  readonly cause: string;
  readonly late?: boolean;
  readonly refNo?: string;
  readonly orderNo?: string | null;
  readonly testOrder?: boolean | null;
  readonly ipnEventId?: number;
  readonly data?: Record<string, unknown>;
}

const ASCII_NAME = /^[\x20-\x3a\x3c-\x7e]+$/; // printable ASCII without ';'

export const invoiceActivities = ({ db, secretBox, sandboxUrl, publicUrl }: ActivityDeps) => ({
  /**
   * Reads the invoice for its workflow and, while it is awaiting payment without one, creates its signed
   * ConvertPlus buy link (dynamic product, order-ext-ref = invoice id, signed expiration = the invoice's expiry).
   */
  async openInvoice(invoiceId: string): Promise<OpenedInvoice> {
    const invoice = await db<InvoiceRow>('invoices').where({ id: invoiceId }).first();
    if (!invoice) throw ApplicationFailure.nonRetryable(`Invoice ${invoiceId} does not exist`, ERRORS.invoiceNotFound);
    const merchant = await loadMerchant(db, secretBox, invoice.merchant_id);
    if (!merchant)
      throw ApplicationFailure.nonRetryable(`Merchant of ${invoiceId} does not exist`, ERRORS.invoiceNotFound);

    let checkoutUrl = invoice.checkout_url;
    if (checkoutUrl === null && invoice.status === 'awaiting_payment') {
      const url = buildDynamicBuyLink({
        baseUrl: twoCheckoutEndpoints(merchant.environment, sandboxUrl).buyLinkUrl,
        merchantCode: merchant.merchantCode,
        buyLinkSecretWord: merchant.buyLinkSecretWord,
        items: buyLinkItems(invoice),
        currency: invoice.currency,
        orderExtRef: invoice.id,
        ...(invoice.customer_email !== null && { customerExtRef: invoice.customer_email }),
        returnUrl: `${publicUrl}/pay/return?invoice=${encodeURIComponent(invoice.id)}`,
        expiresAt: invoice.expires_at,
        test: merchant.acceptTestOrders,
      });
      // A retried activity keeps the link saved first: the link the buyer may already hold.
      await db.transaction(async (trx) => {
        const saved = await trx('invoices')
          .where({ id: invoiceId })
          .whereNull('checkout_url')
          .update({ checkout_url: url });
        if (saved === 1) {
          await trx('invoice_events').insert({
            invoice_id: invoiceId,
            type: 'checkout_link_created',
            cause: `signed ConvertPlus link for 2Checkout merchant ${merchant.merchantCode} (${merchant.environment})`,
            dedup_key: 'checkout_link_created',
          });
        }
      });
      checkoutUrl = (await db<InvoiceRow>('invoices').where({ id: invoiceId }).first('checkout_url'))!.checkout_url;
    }
    return {
      status: invoice.status,
      reason: invoice.status_reason,
      late: invoice.late,
      amountMinor: invoice.amount_minor,
      currency: invoice.currency,
      expiresAt: invoice.expires_at.toISOString(),
      checkoutUrl,
      refNo: invoice.twocheckout_refno,
      acceptTestOrders: merchant.acceptTestOrders,
    };
  },

  /**
   * Moves the invoice to `to` if it is in a status `to` may be reached from, and records why in the audit trail, in
   * one transaction. Returns the status it is in afterwards: a retry after a commit finds the change already made.
   */
  async transitionInvoice(t: Transition): Promise<{ status: InvoiceStatus; late: boolean; changed: boolean }> {
    return db.transaction(async (trx) => {
      const before = await trx<InvoiceRow>('invoices').where({ id: t.invoiceId }).forUpdate().first('status', 'late');
      if (!before)
        throw ApplicationFailure.nonRetryable(`Invoice ${t.invoiceId} does not exist`, ERRORS.invoiceNotFound);
      if (!ALLOWED_FROM[t.to].includes(before.status))
        return { status: before.status, late: before.late, changed: false };
      const late = t.late ?? before.late;
      await trx('invoices')
        .where({ id: t.invoiceId })
        .whereIn('status', ALLOWED_FROM[t.to])
        .update({
          status: t.to,
          status_reason: t.reason,
          late,
          updated_at: trx.fn.now(),
          ...(t.to === 'paid' && { paid_at: trx.fn.now() }),
          ...(t.refNo !== undefined && { twocheckout_refno: t.refNo }),
          ...(t.orderNo != null && { twocheckout_order_no: t.orderNo }),
          ...(t.testOrder != null && { test_order: t.testOrder }),
        });
      await trx('invoice_events').insert({
        invoice_id: t.invoiceId,
        type: 'status_changed',
        from_status: before.status,
        to_status: t.to,
        cause: t.cause,
        ipn_event_id: t.ipnEventId ?? null,
        data: t.data === undefined ? null : JSON.stringify(t.data),
      });
      return { status: t.to, late, changed: true };
    });
  },

  /**
   * Adds a refund 2Checkout reported to a paid invoice: `partially_refunded` with the total refunded so far, or
   * `refunded` once it reaches the invoice amount. Counted once per IPN, however often the activity runs.
   */
  async recordRefund(r: {
    invoiceId: string;
    ipnEventId: number;
    amountMinor: number;
    cause: string;
  }): Promise<{ status: InvoiceStatus; refundedMinor: number; changed: boolean }> {
    return db.transaction(async (trx) => {
      const invoice = await trx<InvoiceRow>('invoices').where({ id: r.invoiceId }).forUpdate().first();
      if (!invoice)
        throw ApplicationFailure.nonRetryable(`Invoice ${r.invoiceId} does not exist`, ERRORS.invoiceNotFound);
      const unchanged = { status: invoice.status, refundedMinor: invoice.refunded_minor, changed: false };
      if (!REFUNDABLE.includes(invoice.status) || r.amountMinor <= 0) return unchanged;
      const refundedMinor = Math.min(invoice.amount_minor, invoice.refunded_minor + r.amountMinor);
      const status: InvoiceStatus = refundedMinor >= invoice.amount_minor ? 'refunded' : 'partially_refunded';
      const inserted: { id: number }[] = await trx('invoice_events')
        .insert({
          invoice_id: r.invoiceId,
          type: 'refund',
          from_status: invoice.status,
          to_status: status,
          cause: r.cause,
          ipn_event_id: r.ipnEventId,
          data: JSON.stringify({ amountMinor: r.amountMinor, refundedMinor }),
          dedup_key: `refund:${r.ipnEventId}`,
        })
        .onConflict(['invoice_id', 'dedup_key'])
        .ignore()
        .returning('id');
      if (inserted.length === 0) return unchanged; // this IPN's refund is already counted
      const reason = `refunded ${fromMinorUnits(refundedMinor, invoice.currency)} of ${fromMinorUnits(invoice.amount_minor, invoice.currency)} ${invoice.currency}`;
      await trx('invoices')
        .where({ id: r.invoiceId })
        .update({ status, refunded_minor: refundedMinor, status_reason: reason, updated_at: trx.fn.now() });
      return { status, refundedMinor, changed: true };
    });
  },

  /** Records what the workflow did with a stored IPN, for the IPN log. */
  async recordIpnOutcome(ipnEventId: number, outcome: string): Promise<void> {
    await db('ipn_events').where({ id: ipnEventId }).update({ outcome, outcome_at: db.fn.now() });
  },
});

/** Item lines when every name is plain ASCII; otherwise one line for the invoice (see README, buy links). */
function buyLinkItems(invoice: InvoiceRow): BuyLinkItem[] {
  if (invoice.items.every((i) => ASCII_NAME.test(i.name))) {
    return invoice.items.map((i) => ({
      name: i.name,
      price: fromMinorUnits(i.unitPriceMinor, invoice.currency),
      quantity: i.quantity,
    }));
  }
  return [
    { name: `Invoice ${invoice.id}`, price: fromMinorUnits(invoice.amount_minor, invoice.currency), quantity: 1 },
  ];
}
