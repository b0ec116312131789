import { hexDigestEquals, hmacHex, lengthPrefixed, type HmacAlgorithm } from './bytes';

/**
 * One IPN field as 2Checkout sent it. Array fields (`IPN_PID[]=…&IPN_PID[]=…`) keep every element in order and are
 * grouped at the position of their first element, as PHP's `$_POST` (and so every official plugin) sees them.
 */
export type IpnField =
  | { readonly name: string; readonly array: false; readonly value: string }
  | { readonly name: string; readonly array: true; readonly values: readonly string[] };

/** An IPN parsed from its raw body, in wire order. Never re-serialise it: keep the raw bytes. */
export interface Ipn {
  readonly fields: readonly IpnField[];
  /** A scalar field's value; for an array field, its first element. */
  get(name: string): string | undefined;
  /** An array field's elements; a scalar as a one-element list; `[]` when absent. */
  getAll(name: string): readonly string[];
}

export class IpnParseError extends Error {
  readonly code = 'IPN_MALFORMED';
  constructor(message: string) {
    super(message);
    this.name = 'IpnParseError';
  }
}

/** The three signature fields, strongest first. They are excluded from the signed source string. */
export const IPN_SIGNATURE_FIELDS = [
  { field: 'SIGNATURE_SHA3_256', algorithm: 'sha3-256' },
  { field: 'SIGNATURE_SHA2_256', algorithm: 'sha256' },
  { field: 'HASH', algorithm: 'md5' },
] as const satisfies readonly { field: string; algorithm: HmacAlgorithm }[];

const SIGNATURE_FIELD_NAMES: ReadonlySet<string> = new Set(IPN_SIGNATURE_FIELDS.map((s) => s.field));
const FIELD_NAME = /^[A-Za-z0-9_]+$/;

/**
 * Parses an `application/x-www-form-urlencoded` IPN body, keeping field order and `NAME[]` arrays.
 * Refuses what 2Checkout never sends and what would make the signed fields ambiguous: a repeated scalar, a name used
 * both as scalar and array, indexed or nested brackets, and bytes that are not UTF-8.
 */
export function parseIpn(rawBody: Uint8Array): Ipn {
  const fields: IpnField[] = [];
  const seen = new Set<string>();
  const arrays = new Map<string, string[]>();
  for (const pair of decodeUtf8(rawBody).split('&')) {
    if (pair === '') continue; // `a=1&&b=2`, a trailing `&`: no field, nothing signed
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = decodeComponent(eq === -1 ? '' : pair.slice(eq + 1));
    const isArray = key.endsWith('[]');
    const name = isArray ? key.slice(0, -2) : key;
    if (!FIELD_NAME.test(name)) throw new IpnParseError(`Invalid IPN field name ${JSON.stringify(key)}`);

    if (seen.has(name)) {
      const values = arrays.get(name);
      if (!isArray || !values) throw new IpnParseError(`IPN field ${key} appears more than once`);
      values.push(value);
    } else if (isArray) {
      const values = [value];
      arrays.set(name, values);
      fields.push({ name, array: true, values });
    } else {
      fields.push({ name, array: false, value });
    }
    seen.add(name);
  }
  return makeIpn(fields);
}

/** Builds an IPN from fields in order (the sandbox uses this to emit, tests to build fixtures). */
export function makeIpn(fields: readonly IpnField[]): Ipn {
  const byName = new Map(fields.map((f) => [f.name, f]));
  return {
    fields,
    get: (name) => {
      const f = byName.get(name);
      return f === undefined ? undefined : f.array ? f.values[0] : f.value;
    },
    getAll: (name) => {
      const f = byName.get(name);
      return f === undefined ? [] : f.array ? f.values : [f.value];
    },
  };
}

/** Serialises fields as 2Checkout puts them on the wire: `NAME[]` per array element, values percent-encoded. */
export function serializeIpn(fields: readonly IpnField[]): string {
  const pairs: string[] = [];
  for (const f of fields) {
    if (f.array)
      for (const v of f.values) pairs.push(`${encodeFormComponent(f.name + '[]')}=${encodeFormComponent(v)}`);
    else pairs.push(`${encodeFormComponent(f.name)}=${encodeFormComponent(f.value)}`);
  }
  return pairs.join('&');
}

/** The signed source string: every value in order, signature fields skipped, each prefixed by its byte length. */
export function ipnSignatureSource(ipn: Pick<Ipn, 'fields'>): Buffer {
  return lengthPrefixed(
    (function* () {
      for (const f of ipn.fields) {
        if (SIGNATURE_FIELD_NAMES.has(f.name)) continue;
        if (f.array) yield* f.values;
        else yield f.value;
      }
    })(),
  );
}

/** `HASH`, `SIGNATURE_SHA2_256` or `SIGNATURE_SHA3_256` for these fields, keyed with the Secret Key. */
export function computeIpnSignature(ipn: Pick<Ipn, 'fields'>, secretKey: string, algorithm: HmacAlgorithm): string {
  return hmacHex(algorithm, secretKey, ipnSignatureSource(ipn));
}

/** Adds the three signature fields, last, as 2Checkout does. */
export function signIpnFields(fields: readonly IpnField[], secretKey: string): IpnField[] {
  const unsigned = fields.filter((f) => !SIGNATURE_FIELD_NAMES.has(f.name));
  const ipn = { fields: unsigned };
  return [
    ...unsigned,
    ...[...IPN_SIGNATURE_FIELDS].reverse().map(({ field, algorithm }): IpnField => ({
      name: field,
      array: false,
      value: computeIpnSignature(ipn, secretKey, algorithm),
    })),
  ];
}

export type IpnVerification =
  | { readonly ok: true; readonly algorithm: HmacAlgorithm }
  | {
      readonly ok: false;
      readonly reason: 'missing_signature' | 'bad_signature' | 'md5_not_allowed';
      readonly algorithm?: HmacAlgorithm;
    };

/**
 * Verifies the strongest signature present and not empty — SHA3-256, then SHA-256, then MD5 when `allowMd5` — and
 * only that one: a weaker signature never rescues a failed stronger one, so an attacker cannot downgrade.
 * Constant-time compare. An empty field is one the account does not fill, as the official PHP SDK
 * (`IpnSignature::getHashAlgorithm`) and WHMCS module treat it; it is still part of the signed fields.
 */
export function verifyIpnSignature(ipn: Ipn, secretKey: string, options: { allowMd5: boolean }): IpnVerification {
  const strongest = IPN_SIGNATURE_FIELDS.find(({ field }) => (ipn.get(field) ?? '') !== '');
  if (!strongest) return { ok: false, reason: 'missing_signature' };
  const { field, algorithm } = strongest;
  if (algorithm === 'md5' && !options.allowMd5) return { ok: false, reason: 'md5_not_allowed', algorithm };
  const expected = computeIpnSignature(ipn, secretKey, algorithm);
  return hexDigestEquals(algorithm, expected, ipn.get(field)!)
    ? { ok: true, algorithm }
    : { ok: false, reason: 'bad_signature', algorithm };
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new IpnParseError('IPN body is not valid UTF-8');
  }
}

/** Form decoding: `+` is a space, `%XX` are UTF-8 bytes. A malformed escape or byte sequence is refused. */
function decodeComponent(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw new IpnParseError('IPN body has a malformed percent-escape');
  }
}

function encodeFormComponent(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
