import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case: no i, l, o, u

/** A random public id such as `inv_4k7…` (100 bits). */
export function newId(prefix: 'mer' | 'prd' | 'inv' | 'key' | 'rf'): string {
  const bytes = randomBytes(20);
  return `${prefix}_${Array.from(bytes, (b) => ALPHABET[b % 32]).join('')}`;
}

/**
 * A merchant API key (192 bits), shown once; only its hash is stored. `sk_live_` or `sk_test_` names its mode for
 * people reading it; the mode itself is the key's row's (keys from before modes are plain `sk_…`).
 */
export function newApiKey(livemode: boolean): string {
  return `sk_${livemode ? 'live' : 'test'}_${randomBytes(24).toString('base64url')}`;
}

/**
 * What is kept to recognise a key in lists and logs: `sk_`, its mode if it names one, and 4 characters (24 bits of
 * 192), never enough to use.
 */
export const apiKeyPrefix = (apiKey: string) => apiKey.slice(0, /^sk_(live|test)_/.test(apiKey) ? 12 : 7);

/** How API keys are stored and looked up: SHA-256 hex, enough for a random 192-bit key. */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}
