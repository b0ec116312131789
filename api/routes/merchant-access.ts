import { Router, type RequestHandler } from 'express';
import {
  DEFAULT_OVERLAP_SECONDS,
  keyActor,
  listApiKeys,
  MAX_WORKING_KEYS,
  replaceAllApiKeys,
  revokeApiKey,
  rotateApiKey,
  setMerchantDisabled,
  type ListedApiKey,
} from '../../lib/api-keys';
import type { MerchantRow } from '../../lib/merchants';
import { apiKeyOf, livemodeOfKey, merchantOf, requireAdmin } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError, notFound } from '../errors';
import { apiKeyParams, disableMerchantBody, merchantParams, rotateApiKeyBody } from '../schemas';

function apiKeyView(k: ListedApiKey, currentKeyId: string) {
  return {
    id: k.id,
    prefix: k.prefix,
    livemode: k.livemode,
    state: k.state,
    current: k.id === currentKeyId,
    createdAt: k.created_at.toISOString(),
    expiresAt: k.expires_at?.toISOString() ?? null,
    revokedAt: k.revoked_at?.toISOString() ?? null,
    lastUsedAt: k.last_used_at?.toISOString() ?? null,
  };
}

const accessView = (m: MerchantRow) => ({
  id: m.id,
  disabled: m.disabled_at !== null,
  disabledAt: m.disabled_at?.toISOString() ?? null,
  disabledReason: m.disabled_reason,
});

/**
 * Who may act as a merchant: its API keys (rotated with an overlap, revoked at once), and the admin's disable, enable
 * and replace-every-key. Each change is logged, and audited beside the 2Checkout settings (lib/api-keys.ts), with the
 * key's id and prefix, never the key.
 */
export function merchantAccessRoutes(deps: ApiDeps, requireMerchant: RequestHandler) {
  const { db, config } = deps;
  const router = Router();
  const admin = requireAdmin(config.adminToken);

  /**
   * GET /v1/merchant/api-keys — the merchant's keys of the calling key's mode, newest first; never the keys
   * themselves. Each mode manages its own keys: a test key can neither see nor revoke a live one.
   */
  router.get('/v1/merchant/api-keys', requireMerchant, async (_req, res) => {
    const current = apiKeyOf(res.locals).id;
    const keys = await listApiKeys(db, merchantOf(res.locals).id, livemodeOfKey(res.locals));
    res.json({ data: keys.map((k) => apiKeyView(k, current)) });
  });

  /**
   * POST /v1/merchant/api-keys — rotation: a new key (answered once), and the calling key expiring after
   * `expireCurrentIn` seconds, so integrations switch without downtime.
   */
  router.post('/v1/merchant/api-keys', requireMerchant, async (req, res) => {
    const body = rotateApiKeyBody.parse(req.body ?? {});
    const merchant = merchantOf(res.locals);
    const calling = apiKeyOf(res.locals);
    const overlap = body.expireCurrentIn ?? DEFAULT_OVERLAP_SECONDS;
    const result = await rotateApiKey(db, merchant.id, calling, overlap);
    if (!result.ok)
      throw new HttpError(
        409,
        'too_many_api_keys',
        `This merchant already has ${MAX_WORKING_KEYS} working API keys: revoke one (DELETE /v1/merchant/api-keys/{id}) first`,
      );
    deps.log('API key rotated', {
      merchantId: merchant.id,
      keyId: result.created.id,
      keyPrefix: result.created.prefix,
      previousKeyId: calling.id,
      previousKeyExpiresAt: result.previous.expires_at?.toISOString(),
    });
    res.status(201).json({
      ...apiKeyView(result.created, calling.id),
      apiKey: result.apiKey,
      previousKey: apiKeyView(result.previous, calling.id),
    });
  });

  /**
   * DELETE /v1/merchant/api-keys/{id} — revokes that key at once. The last working key without an expiry stays
   * (409): make a new one first, so the merchant always keeps a key it can use.
   */
  router.delete('/v1/merchant/api-keys/:id', requireMerchant, async (req, res) => {
    const { id } = apiKeyParams.parse(req.params);
    const merchant = merchantOf(res.locals);
    const calling = apiKeyOf(res.locals);
    const result = await revokeApiKey(db, merchant.id, calling.livemode, id, keyActor(calling));
    if (!result.ok) {
      if (result.reason === 'not_found') throw notFound('API key');
      throw new HttpError(
        409,
        'last_api_key',
        'This is the last API key without an expiry: create a new one (POST /v1/merchant/api-keys) before revoking it',
      );
    }
    deps.log('API key revoked', {
      merchantId: merchant.id,
      keyId: id,
      keyPrefix: result.key.prefix,
      byKeyId: calling.id,
    });
    res.json(apiKeyView(result.key, calling.id));
  });

  /**
   * POST /v1/merchants/{id}/disable — admin: the merchant's API keys get 403 `merchant_disabled`, its dashboard is
   * refused, signed in or not. Its payments are not: IPNs are still received, stored and applied (DESIGN.md §3–4).
   */
  router.post('/v1/merchants/:id/disable', admin, async (req, res) => {
    const { id } = merchantParams.parse(req.params);
    const { reason } = disableMerchantBody.parse(req.body ?? {});
    const row = await setMerchantDisabled(db, id, { ...(reason !== undefined && { reason }) });
    if (!row) throw notFound('Merchant');
    deps.log('merchant disabled', { merchantId: id, reason: row.disabled_reason });
    res.json(accessView(row));
  });

  /** POST /v1/merchants/{id}/enable — admin: the merchant's working keys and dashboard sign-in are accepted again. */
  router.post('/v1/merchants/:id/enable', admin, async (req, res) => {
    const { id } = merchantParams.parse(req.params);
    const row = await setMerchantDisabled(db, id, false);
    if (!row) throw notFound('Merchant');
    deps.log('merchant enabled', { merchantId: id });
    res.json(accessView(row));
  });

  /**
   * POST /v1/merchants/{id}/api-keys/replace — admin, for a leaked key: every key of the merchant (both modes)
   * revoked at once, and one new key per mode, answered once, to hand to the merchant. `apiKey` is the one of the mode
   * the merchant works in (live once it has a live setup), as before modes.
   */
  router.post('/v1/merchants/:id/api-keys/replace', admin, async (req, res) => {
    const { id } = merchantParams.parse(req.params);
    const result = await replaceAllApiKeys(db, id);
    if (!result) throw notFound('Merchant');
    const revoked = result.revoked.map((k) => k.id);
    const { live, test } = result.created;
    deps.log('API keys replaced by the admin', {
      merchantId: id,
      revokedKeyIds: revoked,
      keyIds: [live.id, test.id],
      keyPrefixes: [live.prefix, test.prefix],
    });
    const main = result.merchantLive ? 'live' : 'test';
    res.json({
      merchantId: id,
      revoked,
      keyId: result.created[main].id,
      apiKey: result.apiKeys[main],
      liveApiKey: result.apiKeys.live,
      testApiKey: result.apiKeys.test,
    });
  });

  return router;
}
