import type { Knex } from 'knex';
import type { InvoiceRow } from '../lib/invoice';
import { ipnMoneyOf } from '../lib/invoice/fees';
import { parseIpn } from '../lib/twocheckout';

/** Notifications whose amounts are not the sale's: refunds, reversals, cancellations (chargebacks are read below). */
const NOT_A_SALE = ['REFUND', 'REVERSED', 'CANCELED'];
/** How many of the order's stored IPNs are read, newest first, for one that states the fee. */
const LOOK_BACK = 20;

/**
 * In the transaction that holds the invoice's row: once a verified payment has made it paid, stores the fee and payout
 * 2Checkout stated for its order (lib/invoice/fees.ts), from a stored IPN that passed signature verification, names
 * this invoice and merchant, and is about the invoice's 2Checkout order — `preferred` (the IPN being handled) first,
 * then the newest. Once set they stay; while none is stored, a later IPN of the order fills them in. Informational:
 * the invoice's status never depends on them. Returns the invoice as it is now.
 */
export async function recordFees(trx: Knex.Transaction, invoice: InvoiceRow, preferred?: number): Promise<InvoiceRow> {
  if (invoice.paid_at === null || invoice.fees_ipn_event_id !== null || invoice.twocheckout_refno === null)
    return invoice;
  const candidates = await trx('ipn_events')
    .where({
      invoice_id: invoice.id,
      merchant_id: invoice.merchant_id,
      verdict: 'verified',
      refno: invoice.twocheckout_refno,
    })
    .whereNotIn('order_status', NOT_A_SALE)
    .orderByRaw('(id = ?) desc, id desc', [preferred ?? null])
    .limit(LOOK_BACK)
    .select<{ id: number; raw_body: Buffer }[]>('id', 'raw_body');
  for (const stored of candidates) {
    let ipn;
    try {
      ipn = parseIpn(stored.raw_body);
    } catch {
      continue; // stored verified, so parsed before; never a reason to fail the payment
    }
    const chargeback = ipn.get('CHARGEBACK_RESOLUTION') ?? '';
    const money = ipnMoneyOf(ipn);
    if (money === null || money.feeCurrency !== invoice.currency || !['', 'NONE'].includes(chargeback)) continue;
    const [after] = await trx<InvoiceRow>('invoices')
      .where({ id: invoice.id, fees_ipn_event_id: null })
      .update({
        fee_minor: money.feeMinor,
        fee_currency: money.feeCurrency,
        payout_minor: money.payoutMinor,
        payout_currency: money.payoutCurrency,
        fx_rate: money.fxRate,
        fees_ipn_event_id: stored.id,
        updated_at: trx.fn.now(),
      })
      .returning('*');
    return after ?? invoice;
  }
  return invoice;
}
