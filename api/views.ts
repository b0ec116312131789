import { createHash } from 'node:crypto';
import type { IpnEventRow } from './ipn';
import type { MerchantRow } from '../lib/merchants';
import { fromMinorUnits } from '../lib/money';
import { webhookEventId } from '../workflows/shared';

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

/** A merchant as it sees itself: secrets never leave, only fingerprints to recognise them. */
export function merchantView(
  m: MerchantRow,
  publicUrl: string,
  secrets: { secretKey: string; buyLinkSecretWord: string; webhookSecret: string | null },
) {
  return {
    id: m.id,
    name: m.name,
    ipnUrl: ipnUrlOf(publicUrl, m.id),
    twocheckout: {
      merchantCode: m.twocheckout_merchant_code,
      environment: m.twocheckout_environment,
      testOrders: m.accept_test_orders,
      allowMd5Ipn: m.allow_md5_ipn,
      secretKey: secretFingerprint(secrets.secretKey),
      buyLinkSecretWord: secretFingerprint(secrets.buyLinkSecretWord),
    },
    webhookUrl: m.webhook_url,
    webhookSecret: secrets.webhookSecret === null ? null : secretFingerprint(secrets.webhookSecret),
    createdAt: m.created_at.toISOString(),
    updatedAt: m.updated_at.toISOString(),
  };
}

/**
 * How a secret is shown: `sha256:` and the first 8 hex characters of its SHA-256. Enough to tell whether the secret
 * in 2Checkout's Control Panel is the one saved here (`printf %s '…' | sha256sum`); no character of the secret itself.
 */
export function secretFingerprint(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 8)}`;
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

export { invoiceView } from '../lib/invoice-view';

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
    eventId: e.to_status === null ? null : webhookEventId(e.id),
    type: e.type,
    from: e.from_status,
    to: e.to_status,
    cause: e.cause,
    ipnEventId: e.ipn_event_id,
    at: e.created_at.toISOString(),
  };
}

/** One attempt to POST an invoice event to the merchant's webhook URL (migrations/…_create_webhook_deliveries.ts). */
export interface WebhookDeliveryRow {
  id: number;
  merchant_id: string;
  invoice_id: string;
  event_id: string;
  event_type: string;
  payload: unknown;
  url: string;
  attempt: number;
  state: 'pending' | 'succeeded' | 'failed';
  response_status: number | null;
  response_excerpt: string | null;
  error: string | null;
  created_at: Date;
  completed_at: Date | null;
}

export function webhookDeliveryView(d: WebhookDeliveryRow) {
  return {
    eventId: d.event_id,
    eventType: d.event_type,
    invoiceId: d.invoice_id,
    attempt: d.attempt,
    url: d.url,
    state: d.state,
    responseStatus: d.response_status,
    responseExcerpt: d.response_excerpt,
    error: d.error,
    startedAt: d.created_at.toISOString(),
    completedAt: d.completed_at?.toISOString() ?? null,
  };
}
