import { formatRestDate, hexDigestEquals, hmacHex, lengthPrefixed, type HmacAlgorithm } from './bytes';

/** REST API 6.0 authentication: `X-Avangate-Authentication`. */
export const REST_AUTH_HEADER = 'X-Avangate-Authentication';

/** What the header's hash covers: len(code) code len(date) date, date in UTC `Y-m-d H:i:s`. */
export function restAuthSource(merchantCode: string, date: string): Buffer {
  return lengthPrefixed([merchantCode, date]);
}

/** The hash of the header: HMAC of its source, keyed with the Secret Key. */
export function restAuthHash(merchantCode: string, secretKey: string, date: string, algorithm: HmacAlgorithm): string {
  return hmacHex(algorithm, secretKey, restAuthSource(merchantCode, date));
}

/**
 * The header value, e.g. `code="250000000001" date="2024-01-15 12:30:00" hash="…" algo="sha3-256"`. MD5 is the
 * legacy form and carries no `algo`.
 */
export function buildRestAuthHeader(opts: {
  merchantCode: string;
  secretKey: string;
  now: Date;
  algorithm?: HmacAlgorithm;
}): string {
  const algorithm = opts.algorithm ?? 'sha3-256';
  const date = formatRestDate(opts.now);
  const hash = restAuthHash(opts.merchantCode, opts.secretKey, date, algorithm);
  const head = `code="${opts.merchantCode}" date="${date}" hash="${hash}"`;
  return algorithm === 'md5' ? head : `${head} algo="${algorithm}"`;
}

export interface RestAuthHeader {
  readonly code: string;
  readonly date: string;
  readonly hash: string;
  readonly algorithm: HmacAlgorithm;
}

/**
 * Parses the header. Accepts double or single quotes (the official Node SDK sends single) and no `algo` as MD5.
 * Returns `undefined` for anything else, including an unknown `algo`.
 */
export function parseRestAuthHeader(value: string): RestAuthHeader | undefined {
  const attrs = new Map<string, string>();
  const rest = value.trim().replace(/(\w+)=(?:"([^"]*)"|'([^']*)')\s*/g, (_m, k: string, dq?: string, sq?: string) => {
    attrs.set(k.toLowerCase(), dq ?? sq ?? '');
    return '';
  });
  const code = attrs.get('code');
  const date = attrs.get('date');
  const hash = attrs.get('hash');
  const algo = attrs.get('algo')?.toLowerCase() ?? 'md5';
  if (rest !== '' || !code || !date || !hash) return undefined;
  if (algo !== 'md5' && algo !== 'sha256' && algo !== 'sha3-256') return undefined;
  return { code, date, hash, algorithm: algo };
}

export type RestAuthVerification =
  | { readonly ok: true; readonly merchantCode: string; readonly algorithm: HmacAlgorithm }
  | { readonly ok: false; readonly reason: 'malformed' | 'unknown_merchant' | 'stale_date' | 'bad_hash' };

/**
 * Verifies a header as 2Checkout's API does: a known merchant code, a date within `maxSkewMs` of `now`, and the
 * hash of that code and date under the merchant's Secret Key.
 */
export function verifyRestAuthHeader(
  value: string | undefined,
  opts: { secretKeyFor: (merchantCode: string) => string | undefined; now: Date; maxSkewMs: number },
): RestAuthVerification {
  const header = value === undefined ? undefined : parseRestAuthHeader(value);
  if (!header) return { ok: false, reason: 'malformed' };
  const secretKey = opts.secretKeyFor(header.code);
  if (secretKey === undefined) return { ok: false, reason: 'unknown_merchant' };
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(header.date);
  const at = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
  if (Number.isNaN(at) || Math.abs(opts.now.getTime() - at) > opts.maxSkewMs)
    return { ok: false, reason: 'stale_date' };
  const expected = restAuthHash(header.code, secretKey, header.date, header.algorithm);
  return hexDigestEquals(header.algorithm, expected, header.hash)
    ? { ok: true, merchantCode: header.code, algorithm: header.algorithm }
    : { ok: false, reason: 'bad_hash' };
}
