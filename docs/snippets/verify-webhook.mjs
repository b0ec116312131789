// Verifies a webhook as Standard Webhooks says (https://www.standardwebhooks.com/), with Node's own crypto only.
// Any Standard Webhooks library does the same: `new Webhook(secret).verify(rawBody, headers)` (npm standardwebhooks).
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Older than this (or as far ahead), a request is refused: a captured one cannot be replayed later. */
const TOLERANCE_SECONDS = 5 * 60;

/**
 * Whether a webhook is ours: `headers` as Node gives them (lower-case names), `rawBody` the bytes as received
 * (before any JSON parsing), `secret` the `whsec_…` shown when the webhook URL was set. During a secret rotation
 * `webhook-signature` holds two signatures, space-separated: either secret matches one.
 */
export function verify(headers, rawBody, secret, nowSeconds = Date.now() / 1000) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !/^\d+$/.test(timestamp ?? '') || !signatures) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(rawBody).digest();
  return signatures.split(' ').some((signature) => {
    const [version, value] = signature.split(',');
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}
