import type { InvoiceRow } from './invoice';
import { fromMinorUnits, moneyView } from './money';

/**
 * Whether an invoice is live money: the mode of the key (or product) it was made with, recorded on it
 * (migrations/20261202000400_test_and_live_mode.ts) and never changed. Events carry it.
 */
export function livemodeOf(i: Pick<InvoiceRow, 'livemode'>): boolean {
  return i.livemode;
}

/** An invoice as the API shows it and webhooks send it: amounts as decimal strings, times as ISO 8601. */
export function invoiceView(i: InvoiceRow) {
  return {
    id: i.id,
    livemode: i.livemode,
    status: i.status,
    // while 2Checkout is asked again, what failed and when the next attempt is
    statusReason: i.waiting_reason ?? i.status_reason,
    late: i.late,
    amount: fromMinorUnits(i.amount_minor, i.currency),
    currency: i.currency,
    refundedAmount: fromMinorUnits(i.refunded_minor, i.currency),
    // what 2Checkout keeps (in the order currency) and pays out (in the payout currency), once a verified IPN said
    fee: moneyView(i.fee_minor, i.fee_currency),
    net: moneyView(i.payout_minor, i.payout_currency),
    fxRate: i.fx_rate,
    items: i.items.map((item) => ({
      name: item.name,
      price: fromMinorUnits(item.unitPriceMinor, i.currency),
      quantity: item.quantity,
    })),
    productId: i.product_id,
    customerEmail: i.customer_email,
    externalId: i.external_id,
    checkoutUrl: i.checkout_url,
    language: i.language,
    metadata: i.metadata,
    twocheckout: { refNo: i.twocheckout_refno, orderNo: i.twocheckout_order_no, testOrder: i.test_order },
    expiresAt: i.expires_at.toISOString(),
    paidAt: i.paid_at?.toISOString() ?? null,
    createdAt: i.created_at.toISOString(),
    updatedAt: i.updated_at.toISOString(),
  };
}
