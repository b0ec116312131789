import jwt from 'jsonwebtoken';

/**
 * The `merchant-token` JWT for 2Checkout's signature API (`/checkout/api/encrypt/generate/signature`): HS512,
 * keyed with the Buy-link Secret Word, `sub` = merchant code.
 */
export function merchantToken(opts: {
  merchantCode: string;
  buyLinkSecretWord: string;
  issuedAt: Date;
  ttlSeconds: number;
}): string {
  const iat = Math.floor(opts.issuedAt.getTime() / 1000);
  // Claims in this order, `iat` given explicitly: the token is byte-for-byte what 2Checkout's SDKs produce.
  return jwt.sign({ sub: opts.merchantCode, iat, exp: iat + opts.ttlSeconds }, opts.buyLinkSecretWord, {
    algorithm: 'HS512',
  });
}
