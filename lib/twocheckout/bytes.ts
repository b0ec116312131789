import { createHmac, timingSafeEqual } from 'node:crypto';

/** The HMAC digests 2Checkout uses, by the names its wire formats give them. */
export type HmacAlgorithm = 'md5' | 'sha256' | 'sha3-256';

const DIGEST_HEX_LENGTH: Record<HmacAlgorithm, number> = { md5: 32, sha256: 64, 'sha3-256': 64 };

/**
 * The serialisation every 2Checkout signature shares: each value preceded by its length in UTF-8 **bytes**
 * (PHP `strlen`), in decimal, with no separator. An empty value becomes `0`; the value `0` becomes `10`.
 */
export function lengthPrefixed(values: Iterable<string>): Buffer {
  const parts: Buffer[] = [];
  for (const value of values) {
    const bytes = Buffer.from(value, 'utf8');
    parts.push(Buffer.from(String(bytes.length), 'latin1'), bytes);
  }
  return Buffer.concat(parts);
}

/** Lower-case hex HMAC of `message` keyed with `key` (both taken as UTF-8 when strings). */
export function hmacHex(algorithm: HmacAlgorithm, key: string, message: Buffer | string): string {
  return createHmac(algorithm, Buffer.from(key, 'utf8')).update(message).digest('hex');
}

/**
 * Compares a received hex digest with the expected one in constant time, case-insensitively (2Checkout documents
 * its hashes as case-insensitive). A value of the wrong length or with non-hex characters never matches.
 */
export function hexDigestEquals(algorithm: HmacAlgorithm, expectedHex: string, receivedHex: string): boolean {
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (receivedHex.length !== length || !/^[0-9a-fA-F]+$/.test(receivedHex) || expectedHex.length !== length) {
    return false;
  }
  return timingSafeEqual(
    Buffer.from(expectedHex.toLowerCase(), 'latin1'),
    Buffer.from(receivedHex.toLowerCase(), 'latin1'),
  );
}

/** `YmdHis` in UTC, the date format of IPN read receipts (e.g. `20240115122530`). */
export function formatYmdHis(date: Date): string {
  return formatUtc(date, '');
}

/** `Y-m-d H:i:s` in UTC, the date format of the REST `X-Avangate-Authentication` header. */
export function formatRestDate(date: Date): string {
  return formatUtc(date, '-', ' ', ':');
}

function formatUtc(date: Date, dateSep: string, middle = '', timeSep = ''): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('Invalid date');
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    [String(date.getUTCFullYear()).padStart(4, '0'), pad(date.getUTCMonth() + 1), pad(date.getUTCDate())].join(
      dateSep,
    ) +
    middle +
    [pad(date.getUTCHours()), pad(date.getUTCMinutes()), pad(date.getUTCSeconds())].join(timeSep)
  );
}
