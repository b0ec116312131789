import { createHmac, randomBytes } from 'node:crypto';

/** The header every webhook carries: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
export const WEBHOOK_SIGNATURE_HEADER = 'Webhook-Signature';

/** A webhook signing secret (192 bits), shown to the merchant once. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

/** The Webhook-Signature value for a body sent at `timestamp` (unix seconds). */
export function webhookSignature(secret: string, timestamp: number, rawBody: string): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}
