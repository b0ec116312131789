import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Knex } from 'knex';
import { checkApiKey, type ApiKeyRefusal, type ApiKeyRow } from '../lib/api-keys';
import type { MerchantRow, ModeScope } from '../lib/merchants';
import { HttpError } from './errors';

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

const unauthorized = () => new HttpError(401, 'unauthorized', 'Missing or invalid Authorization: Bearer token');

/**
 * Admin endpoints: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. Both sides are compared as HMACs
 * under a key of this process (fixed length, whatever was sent), so neither the time nor an early length check tells
 * anything about the token, its length included.
 */
export function requireAdmin(adminToken: string): RequestHandler {
  const key = randomBytes(32);
  const digest = (token: string) => createHmac('sha256', key).update(token, 'utf8').digest();
  const expected = digest(adminToken);
  return (req, _res, next) => {
    next(timingSafeEqual(digest(bearer(req.headers.authorization) ?? ''), expected) ? undefined : unauthorized());
  };
}

/** Why a key was refused, as its holder reads it: revoked and expired keys say so, so an integration knows to switch. */
const REFUSED: Record<Exclude<ApiKeyRefusal, 'merchant_disabled'>, string> = {
  unknown: 'Missing or invalid Authorization: Bearer token',
  expired: 'This API key has expired (it was rotated): use the newer key',
  revoked: 'This API key was revoked',
};

/** A disabled merchant's valid key: 403, so its holder knows the key is right and the account is not. */
export const merchantDisabled = () =>
  new HttpError(
    403,
    'merchant_disabled',
    'This merchant is disabled: its API keys and dashboard are refused until the operator enables it again',
  );

/**
 * Merchant endpoints: `Authorization: Bearer <API key>`, checked by lib/api-keys.ts; the merchant row lands in
 * `res.locals.merchant`, the calling key in `res.locals.apiKey`.
 */
export function requireMerchant(db: Knex): RequestHandler {
  return (req, res, next) => {
    const presented = bearer(req.headers.authorization);
    if (!presented) return next(unauthorized());
    checkApiKey(db, presented).then((check) => {
      if (!check.ok)
        return next(
          check.reason === 'merchant_disabled'
            ? merchantDisabled()
            : new HttpError(401, 'unauthorized', REFUSED[check.reason]),
        );
      res.locals.merchant = check.merchant;
      res.locals.apiKey = check.key;
      next();
    }, next);
  };
}

export function merchantOf(locals: Record<string, unknown>): MerchantRow {
  return locals.merchant as MerchantRow;
}

/** The key the merchant called with (after `requireMerchant`). */
export function apiKeyOf(locals: Record<string, unknown>): ApiKeyRow {
  return locals.apiKey as ApiKeyRow;
}

/**
 * The mode of the calling key (after `requireMerchant`): every row it reads or makes is of this mode only, and a row
 * of the other mode is not found (404), as another merchant's is.
 */
export function livemodeOfKey(locals: Record<string, unknown>): boolean {
  return apiKeyOf(locals).livemode;
}

/** The rows the calling key may see: its merchant's, of its mode. */
export function scopeOf(locals: Record<string, unknown>): ModeScope {
  return { merchant_id: merchantOf(locals).id, livemode: livemodeOfKey(locals) };
}
