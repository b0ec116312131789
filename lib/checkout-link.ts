import type { InvoiceRow } from './invoice';
import { twoCheckoutEndpoints, type Merchant } from './merchants';
import { fromMinorUnits } from './money';
import { buildDynamicBuyLink, type BuyLinkItem } from './twocheckout';

const ASCII_NAME = /^[\x20-\x3a\x3c-\x7e]+$/; // printable ASCII without ';'

/**
 * The invoice's signed ConvertPlus buy link: dynamic products, order-ext-ref = the invoice id, the signed expiration =
 * the invoice's, back to the buyer's return page, in the invoice's checkout language if it has one (`language`, which
 * 2Checkout's plugins never sign: PROTOCOL.md §3.1). Made once, when the invoice is created.
 */
export function checkoutLinkOf(
  invoice: Pick<
    InvoiceRow,
    'id' | 'items' | 'amount_minor' | 'currency' | 'customer_email' | 'expires_at' | 'language'
  >,
  merchant: Merchant,
  urls: { sandboxUrl: string; publicUrl: string },
): string {
  return buildDynamicBuyLink({
    baseUrl: twoCheckoutEndpoints(merchant.environment, urls.sandboxUrl).buyLinkUrl,
    merchantCode: merchant.merchantCode,
    buyLinkSecretWord: merchant.buyLinkSecretWord,
    items: buyLinkItems(invoice),
    currency: invoice.currency,
    orderExtRef: invoice.id,
    ...(invoice.customer_email !== null && { customerExtRef: invoice.customer_email }),
    returnUrl: `${urls.publicUrl}/pay/return?invoice=${encodeURIComponent(invoice.id)}`,
    expiresAt: invoice.expires_at,
    test: merchant.acceptTestOrders,
    ...(invoice.language !== null && { language: invoice.language }),
  });
}

/** Item lines when every name is plain ASCII; otherwise one line for the invoice (see README, buy links). */
function buyLinkItems(invoice: Pick<InvoiceRow, 'id' | 'items' | 'amount_minor' | 'currency'>): BuyLinkItem[] {
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
