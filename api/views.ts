import { createHash } from 'node:crypto';
import type { IpnSummaryRow } from './ipn-log';
import { isLive, openMerchant, sealContext, type MerchantRow } from '../lib/merchants';
import type { SecretBox } from '../lib/secret-box';
import { fromMinorUnits } from '../lib/money';
import { webhookEventId } from '../workflows/shared';

export interface ProductRow {
  id: string;
  merchant_id: string;
  /** Sold in live mode (true) or test mode (false). */
  livemode: boolean;
  name: string;
  price_minor: number;
  currency: string;
  active: boolean;
  /** The merchant's own key-value pairs (api/schemas.ts bounds them). */
  metadata: Record<string, string>;
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

/**
 * A merchant as a key of `livemode` sees itself: the 2Checkout setup of that mode (null: live, not set up yet).
 * Secrets never leave, only fingerprints to recognise them.
 */
export function merchantView(m: MerchantRow, publicUrl: string, livemode: boolean, box: SecretBox) {
  const setup = livemode && !isLive(m) ? undefined : openMerchant(m, box, livemode);
  const webhookSecret = m.webhook_secret_sealed && box.open(m.webhook_secret_sealed, sealContext.webhookSecret(m.id));
  return {
    id: m.id,
    name: m.name,
    ipnUrl: ipnUrlOf(publicUrl, m.id),
    livemode,
    live: isLive(m),
    twocheckout: setup
      ? {
          merchantCode: setup.merchantCode,
          environment: setup.environment,
          testOrders: setup.acceptTestOrders,
          allowMd5Ipn: setup.allowMd5Ipn,
          secretKey: secretFingerprint(setup.secretKey),
          buyLinkSecretWord: secretFingerprint(setup.buyLinkSecretWord),
        }
      : null,
    webhookUrl: m.webhook_url,
    webhookSecret: webhookSecret ? secretFingerprint(webhookSecret) : null,
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
    livemode: p.livemode,
    orderUrl: orderUrlOf(publicUrl, p.id),
    metadata: p.metadata,
    createdAt: p.created_at.toISOString(),
  };
}

export { invoiceView } from '../lib/invoice-view';

export function ipnEventView(e: IpnSummaryRow) {
  return {
    id: e.id,
    livemode: e.livemode,
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
  /** The invoice's mode. */
  livemode: boolean;
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
    livemode: d.livemode,
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
