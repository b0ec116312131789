import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case: no i, l, o, u

/** A random public id such as `inv_4k7…` (100 bits). */
export function newId(prefix: 'mer' | 'prd' | 'inv' | 'key' | 'rf'): string {
  const bytes = randomBytes(20);
  return `${prefix}_${Array.from(bytes, (b) => ALPHABET[b % 32]).join('')}`;
}

/** A merchant API key (192 bits), shown once; only its hash is stored. */
export function newApiKey(): string {
  return `sk_${randomBytes(24).toString('base64url')}`;
}

/** What is kept to recognise a key in lists and logs: `sk_` and 4 characters (24 bits of 192), never enough to use. */
export const apiKeyPrefix = (apiKey: string) => apiKey.slice(0, 7);

/** How API keys are stored and looked up: SHA-256 hex, enough for a random 192-bit key. */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}
