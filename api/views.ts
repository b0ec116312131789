import type { InvoiceRow } from '../activities/invoices';
import type { IpnEventRow } from './ipn';
import type { MerchantRow } from '../lib/merchants';
import { fromMinorUnits } from '../lib/money';

export interface ProductRow {
  id: string;
  merchant_id: string;
  name: string;
  price_minor: number;
  currency: string;
  active: boolean;
  created_at: Date;
}

export interface InvoiceEventRow {
  id: number;
  invoice_id: string;
  type: string;
  from_status: string | null;
  to_status: string | null;
  cause: string;
  ipn_event_id: number | null;
  data: unknown;
  created_at: Date;
}

export const ipnUrlOf = (publicUrl: string, merchantId: string) => `${publicUrl}/ipn/2checkout/${merchantId}`;
export const orderUrlOf = (publicUrl: string, productId: string) => `${publicUrl}/order/${productId}`;

/** A merchant as it sees itself: secrets never leave, only their last characters to recognise them. */
export function merchantView(
  m: MerchantRow,
  publicUrl: string,
  secretTails: { secretKey: string; buyLinkSecretWord: string },
) {
  return {
    id: m.id,
    name: m.name,
    ipnUrl: ipnUrlOf(publicUrl, m.id),
    apiKeyPrefix: m.api_key_prefix,
    twocheckout: {
      merchantCode: m.twocheckout_merchant_code,
      environment: m.twocheckout_environment,
      testOrders: m.accept_test_orders,
      allowMd5Ipn: m.allow_md5_ipn,
      secretKey: mask(secretTails.secretKey),
      buyLinkSecretWord: mask(secretTails.buyLinkSecretWord),
    },
    createdAt: m.created_at.toISOString(),
    updatedAt: m.updated_at.toISOString(),
  };
}

function mask(secret: string): string {
  return secret.length <= 8 ? '••••' : `••••${secret.slice(-4)}`;
}

export function productView(p: ProductRow, publicUrl: string) {
  return {
    id: p.id,
    name: p.name,
    price: fromMinorUnits(p.price_minor, p.currency),
    currency: p.currency,
    active: p.active,
    orderUrl: orderUrlOf(publicUrl, p.id),
    createdAt: p.created_at.toISOString(),
  };
}

export function invoiceView(i: InvoiceRow) {
  return {
    id: i.id,
    status: i.status,
    statusReason: i.status_reason,
    late: i.late,
    amount: fromMinorUnits(i.amount_minor, i.currency),
    currency: i.currency,
    refundedAmount: fromMinorUnits(i.refunded_minor, i.currency),
    items: i.items.map((item) => ({
      name: item.name,
      price: fromMinorUnits(item.unitPriceMinor, i.currency),
      quantity: item.quantity,
    })),
    productId: i.product_id,
    customerEmail: i.customer_email,
    externalId: i.external_id,
    checkoutUrl: i.checkout_url,
    twocheckout: { refNo: i.twocheckout_refno, orderNo: i.twocheckout_order_no, testOrder: i.test_order },
    expiresAt: i.expires_at.toISOString(),
    paidAt: i.paid_at?.toISOString() ?? null,
    createdAt: i.created_at.toISOString(),
    updatedAt: i.updated_at.toISOString(),
  };
}

export function ipnEventView(e: IpnEventRow) {
  return {
    id: e.id,
    receivedAt: e.received_at.toISOString(),
    verdict: e.verdict,
    algorithm: e.algorithm,
    refNo: e.refno,
    refNoExt: e.refnoext,
    orderStatus: e.order_status,
    invoiceId: e.invoice_id,
    unknownInvoice: e.unknown_invoice,
    deliveryState: e.delivery_state,
    outcome: e.outcome,
    duplicates: e.duplicate_count,
  };
}

export function invoiceEventView(e: InvoiceEventRow) {
  return {
    type: e.type,
    from: e.from_status,
    to: e.to_status,
    cause: e.cause,
    ipnEventId: e.ipn_event_id,
    at: e.created_at.toISOString(),
  };
}
