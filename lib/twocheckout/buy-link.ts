import { hexDigestEquals, hmacHex, lengthPrefixed } from './bytes';

/** ConvertPlus hosted checkout. */
export const CONVERTPLUS_BUY_URL = 'https://secure.2checkout.com/checkout/buy';

/**
 * The parameters a ConvertPlus signature covers when present: the superset that 2Checkout's own plugins sign
 * (PROTOCOL.md §3.1). `merchant`, `dynamic`, `test`, `tpl`, `language`, `src` and billing fields are never signed.
 */
export const BUY_LINK_SIGNED_PARAMS: ReadonlySet<string> = new Set([
  'return-url',
  'return-type',
  'expiration',
  'order-ext-ref',
  'item-ext-ref',
  'lock',
  'cust-params',
  'customer-ref',
  'customer-ext-ref',
  'currency',
  'prod',
  'price',
  'qty',
  'tangible',
  'type',
  'opt',
  'coupon',
  'description',
  'recurrence',
  'duration',
  'renewal-price',
]);

export type LinkParams = Readonly<Record<string, string | number>>;

/** The chosen parameters sorted by name (PHP `ksort`), each raw (URL-unencoded) value prefixed by its byte length. */
function signatureSource(params: LinkParams, include: (name: string) => boolean): Buffer {
  const names = Object.keys(params)
    .filter(include)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return lengthPrefixed(names.map((n) => String(params[n])));
}

/** What a buy-link `signature` covers: the signed parameters present. */
export function buyLinkSignatureSource(params: LinkParams): Buffer {
  return signatureSource(params, (name) => BUY_LINK_SIGNED_PARAMS.has(name));
}

/** The `signature` of a buy link: HMAC-SHA256 of its source, keyed with the Buy-link Secret Word. */
export function buyLinkSignature(params: LinkParams, secretWord: string): string {
  return hmacHex('sha256', secretWord, buyLinkSignatureSource(params));
}

/** The `signature` 2Checkout appends to the return-url redirect: over every returned parameter but `signature`. */
export function returnUrlSignature(params: LinkParams, secretWord: string): string {
  return hmacHex(
    'sha256',
    secretWord,
    signatureSource(params, (name) => name !== 'signature'),
  );
}

/** A signed link: the parameters in the given order, `%20` for spaces, `signature` last. */
export function buildSignedUrl(baseUrl: string, params: LinkParams, signature: string): string {
  const query = [...Object.entries(params), ['signature', signature] as const]
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}${query}`;
}

/** One line of an invoice on a dynamic-product buy link. */
export interface BuyLinkItem {
  readonly name: string;
  /** Unit price as a decimal string in `currency`, e.g. `"50.00"`. */
  readonly price: string;
  readonly quantity: number;
  readonly tangible?: boolean;
}

export interface DynamicBuyLinkInput {
  readonly baseUrl?: string;
  readonly merchantCode: string;
  readonly buyLinkSecretWord: string;
  readonly items: readonly BuyLinkItem[];
  readonly currency: string;
  /** Our invoice id; comes back as IPN `REFNOEXT` and REST `ExternalReference`. */
  readonly orderExtRef: string;
  readonly customerExtRef?: string;
  readonly returnUrl?: string;
  /** The link's expiry; 2Checkout refuses it afterwards. */
  readonly expiresAt: Date;
  readonly test?: boolean;
  readonly language?: string;
}

/**
 * A ConvertPlus buy link for dynamic products. `lock=1` so the shopper cannot edit the signed cart; item names,
 * prices and quantities are `;`-separated. Names must not contain `;`, which ConvertPlus uses as the separator.
 */
export function buildDynamicBuyLink(input: DynamicBuyLinkInput): string {
  if (input.items.length === 0) throw new RangeError('A buy link needs at least one item');
  for (const item of input.items) {
    if (item.name.includes(';')) throw new RangeError(`Item name ${JSON.stringify(item.name)} contains ";"`);
    if (!Number.isInteger(item.quantity) || item.quantity < 1)
      throw new RangeError('Item quantity must be a positive integer');
  }
  const join = (f: (item: BuyLinkItem) => string) => input.items.map(f).join(';');
  const params: Record<string, string> = {
    merchant: input.merchantCode,
    dynamic: '1',
    prod: join((i) => i.name),
    price: join((i) => i.price),
    qty: join((i) => String(i.quantity)),
    type: join(() => 'PRODUCT'),
    tangible: join((i) => (i.tangible ? '1' : '0')),
    currency: input.currency,
    'order-ext-ref': input.orderExtRef,
    ...(input.customerExtRef !== undefined && { 'customer-ext-ref': input.customerExtRef }),
    ...(input.returnUrl !== undefined && { 'return-url': input.returnUrl, 'return-type': 'redirect' }),
    expiration: String(Math.floor(input.expiresAt.getTime() / 1000)),
    lock: '1',
    ...(input.test && { test: '1' }),
    ...(input.language !== undefined && { language: input.language }),
  };
  return buildSignedUrl(
    input.baseUrl ?? CONVERTPLUS_BUY_URL,
    params,
    buyLinkSignature(params, input.buyLinkSecretWord),
  );
}

export type BuyLinkVerification =
  | { readonly ok: true; readonly params: Readonly<Record<string, string>> }
  | {
      readonly ok: false;
      readonly reason: 'malformed' | 'missing_signature' | 'bad_signature' | 'expired' | 'bad_expiration';
    };

/**
 * Checks a buy link's query string as 2Checkout does: one value per parameter, a valid signature over the signed
 * parameters present, and an `expiration` (when present) not yet past.
 */
export function verifyBuyLink(query: string | URLSearchParams, secretWord: string, now: Date): BuyLinkVerification {
  const search = typeof query === 'string' ? new URLSearchParams(query) : query;
  const params: Record<string, string> = {};
  for (const [k, v] of search) {
    if (Object.hasOwn(params, k)) return { ok: false, reason: 'malformed' };
    params[k] = v;
  }
  const signature = params.signature;
  if (!signature) return { ok: false, reason: 'missing_signature' };
  if (!hexDigestEquals('sha256', buyLinkSignature(params, secretWord), signature))
    return { ok: false, reason: 'bad_signature' };
  if (params.expiration !== undefined) {
    if (!/^\d{1,12}$/.test(params.expiration)) return { ok: false, reason: 'bad_expiration' };
    if (Number(params.expiration) * 1000 <= now.getTime()) return { ok: false, reason: 'expired' };
  }
  return { ok: true, params };
}
