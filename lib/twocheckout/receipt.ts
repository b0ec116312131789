import { formatYmdHis, hexDigestEquals, hmacHex, lengthPrefixed, type HmacAlgorithm } from './bytes';
import type { Ipn } from './ipn';

/**
 * The read receipt's signed source: first product id, first product name, the IPN's `IPN_DATE`, and our `DATE`,
 * each length-prefixed in bytes. `date` is echoed verbatim, so any string 2Checkout sent back verifies as sent.
 */
export function readReceiptSource(ipn: Pick<Ipn, 'get'>, date: string): Buffer {
  return lengthPrefixed([ipn.get('IPN_PID') ?? '', ipn.get('IPN_PNAME') ?? '', ipn.get('IPN_DATE') ?? '', date]);
}

/** The hash of a read receipt for this IPN and `DATE`. */
export function readReceiptHash(
  ipn: Pick<Ipn, 'get'>,
  secretKey: string,
  algorithm: HmacAlgorithm,
  date: string,
): string {
  return hmacHex(algorithm, secretKey, readReceiptSource(ipn, date));
}

/**
 * The read receipt to put in the 200 response, in the algorithm of the strongest signature received:
 * `<EPAYMENT>DATE|HASH</EPAYMENT>` for MD5, `<sig algo="sha256|sha3-256" date="DATE">HASH</sig>` otherwise,
 * with `DATE` the response time in UTC `YmdHis`.
 */
export function buildReadReceipt(
  ipn: Pick<Ipn, 'get'>,
  secretKey: string,
  algorithm: HmacAlgorithm,
  now: Date,
): string {
  const date = formatYmdHis(now);
  const hash = readReceiptHash(ipn, secretKey, algorithm, date);
  return algorithm === 'md5'
    ? `<EPAYMENT>${date}|${hash}</EPAYMENT>`
    : `<sig algo="${algorithm}" date="${date}">${hash}</sig>`;
}

export interface ReadReceiptToken {
  readonly algorithm: HmacAlgorithm;
  readonly date: string;
  readonly hash: string;
}

/** Every read-receipt token found anywhere in a response body, in order. */
export function findReadReceipts(responseBody: string): ReadReceiptToken[] {
  const tokens: { index: number; token: ReadReceiptToken }[] = [];
  for (const m of responseBody.matchAll(/<EPAYMENT>([^|<]*)\|([^<]*)<\/EPAYMENT>/g)) {
    tokens.push({ index: m.index, token: { algorithm: 'md5', date: m[1]!, hash: m[2]! } });
  }
  for (const m of responseBody.matchAll(/<sig algo="(sha256|sha3-256)" date="([^"<]*)">([^<]*)<\/sig>/g)) {
    tokens.push({ index: m.index, token: { algorithm: m[1] as HmacAlgorithm, date: m[2]!, hash: m[3]! } });
  }
  return tokens.sort((a, b) => a.index - b.index).map((t) => t.token);
}

/**
 * Checks a listener's response as 2Checkout would: some token in the body, in the expected algorithm, whose hash
 * verifies over this IPN and the token's own `DATE`.
 */
export function verifyReadReceipt(
  ipn: Pick<Ipn, 'get'>,
  secretKey: string,
  responseBody: string,
  algorithm: HmacAlgorithm,
): boolean {
  return findReadReceipts(responseBody).some(
    (t) =>
      t.algorithm === algorithm &&
      hexDigestEquals(algorithm, readReceiptHash(ipn, secretKey, algorithm, t.date), t.hash),
  );
}
