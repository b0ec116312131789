import { Router, type RequestHandler } from 'express';
import { insertApiKey } from '../../lib/api-keys';
import { newId } from '../../lib/ids';
import { openMerchant, sealContext, type MerchantRow } from '../../lib/merchants';
import { apiKeyOf, merchantOf, requireAdmin } from '../auth';
import type { ApiDeps } from '../deps';
import { forgetMerchant } from '../ipn';
import {
  checkEnvironmentAllowed,
  listSettingsChanges,
  recordSettingsChange,
  settingsChangeView,
  updateMerchantAudited,
} from '../merchant-settings';
import { registerInSandbox } from '../sandbox';
import { checkWebhookUrl, updateWebhookSettings } from '../webhooks';
import { createMerchantBody, patchMerchantBody } from '../schemas';
import { merchantView } from '../views';

/** Merchants: created by the admin (the API key is shown once), then read and changed by themselves. */
export function merchantRoutes(deps: ApiDeps, requireMerchant: RequestHandler) {
  const { db, secretBox, config } = deps;
  const router = Router();
  /** `apiKeyPrefix`: of the key the request was made with (the new key, when the admin creates the merchant). */
  const view = (row: MerchantRow, apiKeyPrefix: string) => ({
    ...merchantView(row, config.publicUrl, openMerchant(row, secretBox)),
    apiKeyPrefix,
  });

  /** POST /v1/merchants — admin: a merchant and its 2Checkout settings; answers its API key, once. */
  router.post('/v1/merchants', requireAdmin(config.adminToken), async (req, res) => {
    const body = createMerchantBody.parse(req.body);
    checkEnvironmentAllowed(deps, body.twocheckout.environment);
    const id = newId('mer');
    const { row, key } = await db.transaction(async (trx) => {
      const [row] = await trx<MerchantRow>('merchants')
        .insert({
          id,
          name: body.name,
          twocheckout_merchant_code: body.twocheckout.merchantCode,
          twocheckout_secret_key_sealed: secretBox.seal(body.twocheckout.secretKey, sealContext.secretKey(id)),
          twocheckout_buy_link_secret_word_sealed: secretBox.seal(
            body.twocheckout.buyLinkSecretWord,
            sealContext.buyLinkSecretWord(id),
          ),
          twocheckout_environment: body.twocheckout.environment,
          accept_test_orders: body.twocheckout.testOrders ?? false,
          allow_md5_ipn: body.twocheckout.allowMd5Ipn ?? false,
        })
        .returning('*');
      await recordSettingsChange(trx, secretBox, null, row!, { type: 'admin', name: 'admin' });
      return { row: row!, key: await insertApiKey(trx, id) };
    });
    deps.log('merchant created', { merchantId: id, keyId: key.row.id, keyPrefix: key.row.prefix });
    const warning = await registerInSandbox(deps, row);
    res.status(201).json({ ...view(row, key.row.prefix), apiKey: key.apiKey, ...(warning && { warnings: [warning] }) });
  });

  /** GET /v1/merchant — the calling merchant, secrets masked. */
  router.get('/v1/merchant', requireMerchant, (_req, res) => {
    res.json(view(merchantOf(res.locals), apiKeyOf(res.locals).prefix));
  });

  /** GET /v1/merchant/settings-changes — who changed the 2Checkout settings, when, and which (never a secret). */
  router.get('/v1/merchant/settings-changes', requireMerchant, async (_req, res) => {
    const changes = await listSettingsChanges(db, merchantOf(res.locals).id, 100);
    res.json({ data: changes.map(settingsChangeView) });
  });

  /**
   * PATCH /v1/merchant — change name, 2Checkout settings (sealed again) or the webhook URL; a webhook signing secret
   * created or rotated here is in this answer only.
   */
  router.patch('/v1/merchant', requireMerchant, async (req, res) => {
    const body = patchMerchantBody.parse(req.body);
    const { id, twocheckout_environment, webhook_url } = merchantOf(res.locals);
    const t = body.twocheckout ?? {};
    checkEnvironmentAllowed(deps, t.environment);
    // before anything is written: a merchant turning live keeps no http:// webhook URL
    checkWebhookUrl(
      t.environment ?? twocheckout_environment,
      body.webhookUrl === undefined ? webhook_url : body.webhookUrl,
    );
    const webhook =
      body.webhookUrl !== undefined || body.rotateWebhookSecret
        ? await updateWebhookSettings(deps, id, {
            ...(body.webhookUrl !== undefined && { webhookUrl: body.webhookUrl }),
            ...(body.rotateWebhookSecret !== undefined && { rotateSecret: body.rotateWebhookSecret }),
            ...(body.previousWebhookSecretExpiresIn !== undefined && {
              overlapSeconds: body.previousWebhookSecretExpiresIn,
            }),
            ...(t.environment !== undefined && { environment: t.environment }),
          })
        : undefined;
    const key = apiKeyOf(res.locals);
    const row = await updateMerchantAudited(
      deps,
      id,
      { type: 'api_key', name: `${key.id} (${key.prefix})` },
      {
        ...(body.name !== undefined && { name: body.name }),
        ...(t.merchantCode !== undefined && { twocheckout_merchant_code: t.merchantCode }),
        ...(t.secretKey !== undefined && {
          twocheckout_secret_key_sealed: secretBox.seal(t.secretKey, sealContext.secretKey(id)),
        }),
        ...(t.buyLinkSecretWord !== undefined && {
          twocheckout_buy_link_secret_word_sealed: secretBox.seal(
            t.buyLinkSecretWord,
            sealContext.buyLinkSecretWord(id),
          ),
        }),
        ...(t.environment !== undefined && { twocheckout_environment: t.environment }),
        ...(t.testOrders !== undefined && { accept_test_orders: t.testOrders }),
        ...(t.allowMd5Ipn !== undefined && { allow_md5_ipn: t.allowMd5Ipn }),
        updated_at: db.fn.now() as unknown as Date,
      },
    );
    forgetMerchant(deps, id);
    const warning = await registerInSandbox(deps, row);
    res.json({
      ...view(row, key.prefix),
      ...(webhook?.webhookSecret !== undefined && { webhookSecret: webhook.webhookSecret }),
      ...(warning && { warnings: [warning] }),
    });
  });

  return router;
}
