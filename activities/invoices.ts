import { ApplicationFailure } from '@temporalio/activity';
import type { Knex } from 'knex';
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
  async changeInvoiceStatus(t: Transition): Promise<StatusChange> {
    return db.transaction(async (trx) => {
      const before = await trx<InvoiceRow>('invoices')
        .where({ id: t.invoiceId })
        .forUpdate()
        .first('status', 'late', 'merchant_id');
      if (!before)
        throw ApplicationFailure.nonRetryable(`Invoice ${t.invoiceId} does not exist`, ERRORS.invoiceNotFound);
      const announce = await hasWebhooks(trx, before.merchant_id);
      if (!ALLOWED_FROM[t.to].includes(before.status)) {
        // Already there: a retry after this change committed. Its audit row is still the event to announce (once:
        // the webhook's workflow id is the event id).
        const done = before.status === t.to ? await lastChangeTo(trx, t.invoiceId, t.to) : null;
        return { status: before.status, late: before.late, changed: false, auditEventId: done, announce };
      }
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
      const [audit] = await trx('invoice_events')
        .insert({
          invoice_id: t.invoiceId,
          type: 'status_changed',
          from_status: before.status,
          to_status: t.to,
          cause: t.cause,
          ipn_event_id: t.ipnEventId ?? null,
          data: t.data === undefined ? null : JSON.stringify(t.data),
        })
        .returning<{ id: number }[]>('id');
      return { status: t.to, late, changed: true, auditEventId: audit!.id, announce };
    });
  },

  /**
   * Adds a refund 2Checkout reported to a paid invoice: `partially_refunded` with the total refunded so far, or
   * `refunded` once it reaches the invoice amount. Counted once per IPN, however often the activity runs.
   */
  async recordRefund(r: {
    invoiceId: string;
    ipnEventId: number;
    /** Which refund this is: 2Checkout's order and MESSAGE_ID, the same in every resend of its IPN. */
    refundKey: string;
    amountMinor: number;
    cause: string;
  }): Promise<StatusChange & { refundedMinor: number }> {
    return db.transaction(async (trx) => {
      const invoice = await trx<InvoiceRow>('invoices').where({ id: r.invoiceId }).forUpdate().first();
      if (!invoice)
        throw ApplicationFailure.nonRetryable(`Invoice ${r.invoiceId} does not exist`, ERRORS.invoiceNotFound);
      const announce = await hasWebhooks(trx, invoice.merchant_id);
      const counted = await trx('invoice_events')
        .where({ invoice_id: r.invoiceId, dedup_key: `refund:${r.refundKey}` })
        .first<{ id: number } | undefined>('id');
      // This IPN's refund is already counted; a retry after the commit still learns which event announces it.
      const unchanged = {
        status: invoice.status,
        late: invoice.late,
        refundedMinor: invoice.refunded_minor,
        changed: false,
        auditEventId: counted?.id ?? null,
        announce,
      };
      if (counted) return unchanged;
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
          dedup_key: `refund:${r.refundKey}`,
        })
        .onConflict(['invoice_id', 'dedup_key'])
        .ignore()
        .returning('id');
      if (inserted.length === 0) return unchanged;
      const reason = `refunded ${fromMinorUnits(refundedMinor, invoice.currency)} of ${fromMinorUnits(invoice.amount_minor, invoice.currency)} ${invoice.currency}`;
      await trx('invoices')
        .where({ id: r.invoiceId })
        .update({ status, refunded_minor: refundedMinor, status_reason: reason, updated_at: trx.fn.now() });
      return { status, late: invoice.late, refundedMinor, changed: true, auditEventId: inserted[0]!.id, announce };
    });
  },

  /** Records what the workflow did with a stored IPN, for the IPN log. */
  async recordIpnOutcome(ipnEventId: number, outcome: string): Promise<void> {
    await db('ipn_events').where({ id: ipnEventId }).update({ outcome, outcome_at: db.fn.now() });
  },
});

/** What a status change did; `auditEventId` is the audit-trail row recording it, null when nothing changed. */
export interface StatusChange {
  readonly status: InvoiceStatus;
  readonly late: boolean;
  readonly changed: boolean;
  readonly auditEventId: number | null;
  /** The merchant has a webhook URL: the change is to be announced. */
  readonly announce: boolean;
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
