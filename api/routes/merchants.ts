import { Router, type RequestHandler } from 'express';
import { hashApiKey, newApiKey, newId } from '../../lib/ids';
import { openMerchant, sealContext, type MerchantRow } from '../../lib/merchants';
import { merchantOf, requireAdmin } from '../auth';
import type { ApiDeps } from '../deps';
import { forgetMerchant } from '../ipn';
import { registerInSandbox } from '../sandbox';
import { updateWebhookSettings } from '../webhooks';
import { createMerchantBody, patchMerchantBody } from '../schemas';
import { merchantView } from '../views';

/** Merchants: created by the admin (the API key is shown once), then read and changed by themselves. */
export function merchantRoutes(deps: ApiDeps, requireMerchant: RequestHandler) {
  const { db, secretBox, config } = deps;
  const router = Router();
  const view = (row: MerchantRow) => merchantView(row, config.publicUrl, openMerchant(row, secretBox));

  /** POST /v1/merchants — admin: a merchant and its 2Checkout settings; answers its API key, once. */
  router.post('/v1/merchants', requireAdmin(config.adminToken), async (req, res) => {
    const body = createMerchantBody.parse(req.body);
    const id = newId('mer');
    const apiKey = newApiKey();
    const [row] = await db<MerchantRow>('merchants')
      .insert({
        id,
        name: body.name,
        api_key_hash: hashApiKey(apiKey),
        api_key_prefix: apiKey.slice(0, 7),
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
    const warning = await registerInSandbox(deps, row!);
    res.status(201).json({ ...view(row!), apiKey, ...(warning && { warnings: [warning] }) });
  });

  /** GET /v1/merchant — the calling merchant, secrets masked. */
  router.get('/v1/merchant', requireMerchant, (_req, res) => {
    res.json(view(merchantOf(res.locals)));
  });

  /**
   * PATCH /v1/merchant — change name, 2Checkout settings (sealed again) or the webhook URL; a webhook signing secret
   * created or rotated here is in this answer only.
   */
  router.patch('/v1/merchant', requireMerchant, async (req, res) => {
    const body = patchMerchantBody.parse(req.body);
    const { id } = merchantOf(res.locals);
    const t = body.twocheckout ?? {};
    const webhook =
      body.webhookUrl !== undefined || body.rotateWebhookSecret
        ? await updateWebhookSettings(deps, id, {
            ...(body.webhookUrl !== undefined && { webhookUrl: body.webhookUrl }),
            ...(body.rotateWebhookSecret !== undefined && { rotateSecret: body.rotateWebhookSecret }),
          })
        : undefined;
    const [row] = await db<MerchantRow>('merchants')
      .where({ id })
      .update({
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
      })
      .returning('*');
    forgetMerchant(deps, id);
    const warning = await registerInSandbox(deps, row!);
    res.json({
      ...view(row!),
      ...(webhook?.webhookSecret !== undefined && { webhookSecret: webhook.webhookSecret }),
      ...(warning && { warnings: [warning] }),
    });
  });

  return router;
}
