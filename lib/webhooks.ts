import { createHmac, randomBytes } from 'node:crypto';
import type { TwoCheckoutEnvironment } from './merchants';

/**
 * The header every webhook carries: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. While a rotated
 * secret overlaps, a second `v1=` follows, made with the previous secret (as Stripe does).
 */
export const WEBHOOK_SIGNATURE_HEADER = 'Webhook-Signature';

/** How long the previous secret goes on signing after a rotation, unless the request says otherwise. */
export const DEFAULT_WEBHOOK_SECRET_OVERLAP_SECONDS = 24 * 3600;

/** A webhook signing secret (192 bits), shown to the merchant once. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

/**
 * The Webhook-Signature value for a body sent at `timestamp` (unix seconds): one `v1=` per secret, the current
 * secret's first. A receiver's check that keeps only the last `v1=` still passes with the previous secret.
 */
export function webhookSignature(secrets: string | readonly string[], timestamp: number, rawBody: string): string {
  const signatures = (typeof secrets === 'string' ? [secrets] : secrets).map(
    (secret) => `v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex')}`,
  );
  return [`t=${timestamp}`, ...signatures].join(',');
}

/** Why a webhook URL is not acceptable for a merchant in `environment`: live payments are announced over TLS only. */
export function webhookUrlProblem(environment: TwoCheckoutEnvironment, url: string): string | undefined {
  return environment === 'live' && !/^https:/i.test(url)
    ? 'must be https:// for a live merchant (payment events are not sent in clear)'
    : undefined;
}
