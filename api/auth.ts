import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Knex } from 'knex';
import { hashApiKey } from '../lib/ids';
import type { MerchantRow } from '../lib/merchants';
import { HttpError } from './errors';

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

const unauthorized = () => new HttpError(401, 'unauthorized', 'Missing or invalid Authorization: Bearer token');

/** Admin endpoints: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
export function requireAdmin(adminToken: string): RequestHandler {
  const expected = Buffer.from(adminToken, 'utf8');
  return (req, _res, next) => {
    const given = Buffer.from(bearer(req.headers.authorization) ?? '', 'utf8');
    next(given.length === expected.length && timingSafeEqual(given, expected) ? undefined : unauthorized());
  };
}

/** Merchant endpoints: `Authorization: Bearer <API key>`; the merchant row lands in `res.locals.merchant`. */
export function requireMerchant(db: Knex): RequestHandler {
  return (req, res, next) => {
    const key = bearer(req.headers.authorization);
    if (!key) return next(unauthorized());
    db<MerchantRow>('merchants')
      .where({ api_key_hash: hashApiKey(key) })
      .first()
      .then((merchant) => {
        if (!merchant) return next(unauthorized());
        res.locals.merchant = merchant;
        next();
      }, next);
  };
}

export function merchantOf(locals: Record<string, unknown>): MerchantRow {
  return locals.merchant as MerchantRow;
}
