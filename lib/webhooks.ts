import { createHmac, randomBytes } from 'node:crypto';
import type { TwoCheckoutEnvironment } from './merchants';

/**
 * Webhooks are signed as Standard Webhooks says (https://www.standardwebhooks.com/), so its libraries verify them:
 * `webhook-id` (the event id), `webhook-timestamp` (unix seconds) and `webhook-signature`, one `v1,<base64
 * HMAC-SHA256 of "<id>.<timestamp>.<raw body>">` per secret, space-separated, the current secret's first: while a
 * rotated secret overlaps, the previous one signs too. The HMAC key is the base64-decoded part after `whsec_`.
 */
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

/** How long the previous secret goes on signing after a rotation, unless the request says otherwise. */
export const DEFAULT_WEBHOOK_SECRET_OVERLAP_SECONDS = 24 * 3600;

/**
 * A webhook signing secret (192 bits), shown to the merchant once: standard base64, as Standard Webhooks' libraries
 * decode it. Secrets made before were base64url; they still sign (Buffer decodes both alphabets), but one with a
 * `-` or `_` needs a rotation before those libraries accept it.
 */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** The webhook-signature value for event `id` sent at `timestamp` (unix seconds): one `v1,` per secret. */
export function webhookSignature(
  secrets: string | readonly string[],
  id: string,
  timestamp: number,
  rawBody: string,
): string {
  return (typeof secrets === 'string' ? [secrets] : secrets)
    .map((secret) => {
      const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
      return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${rawBody}`, 'utf8').digest('base64')}`;
    })
    .join(' ');
}

/** The three headers of one delivery of event `id`. */
export function webhookHeaders(
  secrets: string | readonly string[],
  id: string,
  timestamp: number,
  rawBody: string,
): Record<string, string> {
  return {
    [WEBHOOK_HEADERS.id]: id,
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.signature]: webhookSignature(secrets, id, timestamp, rawBody),
  };
}

/** Why a webhook URL is not acceptable for a merchant in `environment`: live payments are announced over TLS only. */
export function webhookUrlProblem(environment: TwoCheckoutEnvironment, url: string): string | undefined {
  return environment === 'live' && !/^https:/i.test(url)
    ? 'must be https:// for a live merchant (payment events are not sent in clear)'
    : undefined;
}
