import { Router, type RequestHandler } from 'express';
import { insertApiKey } from '../../lib/api-keys';
import { newId } from '../../lib/ids';
import {
  isLive,
  liveBorrowsTestSecrets,
  openMerchant,
  sealContext,
  webhookEnvironment,
  type MerchantRow,
} from '../../lib/merchants';
import { apiKeyOf, livemodeOfKey, merchantOf, requireAdmin } from '../auth';
import { HttpError } from '../errors';
import type { ApiDeps } from '../deps';
import { forgetMerchant } from '../ipn';
import {
  changesOfMode,
  checkEnvironmentAllowed,
  listSettingsChanges,
  recordSettingsChange,
  settingsChangeView,
  updateMerchantAudited,
} from '../merchant-settings';
import { registerInSandbox } from '../sandbox';
import { checkWebhookUrl, updateWebhookSettings } from '../webhooks';
import { createMerchantBody, patchMerchantBody, type PatchMerchantBody } from '../schemas';
import { merchantView } from '../views';

/** Merchants: created by the admin (their API keys are shown once), then read and changed by themselves. */
export function merchantRoutes(deps: ApiDeps, requireMerchant: RequestHandler) {
  const { db, secretBox, config } = deps;
  const router = Router();
  /** As a key of `livemode` sees it; `apiKeyPrefix` of that key (on creation: of the answered `apiKey`). */
  const view = (row: MerchantRow, livemode: boolean, apiKeyPrefix: string) => ({
    ...merchantView(row, config.publicUrl, livemode, secretBox),
    apiKeyPrefix,
  });
  /** The live setup's secrets sealed in its own columns (from the test setup's when it borrowed them). */
  const liveSecrets = (id: string, secretKey: string, buyLinkSecretWord: string) => ({
    live_twocheckout_secret_key_sealed: secretBox.seal(secretKey, sealContext.liveSecretKey(id)),
    live_twocheckout_buy_link_secret_word_sealed: secretBox.seal(
      buyLinkSecretWord,
      sealContext.liveBuyLinkSecretWord(id),
    ),
  });

  /**
   * POST /v1/merchants — admin: a merchant and one 2Checkout setup; answers a test key and a live key, once each.
   * `sandbox`, or test orders: the test setup, and the merchant is not live yet. 2Checkout with real orders: the live
   * setup, and the test setup is the same 2Checkout account taking test orders only (as 2Checkout runs them).
   * `apiKey` is the key of the mode set up.
   */
  router.post('/v1/merchants', requireAdmin(config.adminToken), async (req, res) => {
    const body = createMerchantBody.parse(req.body);
    const t = body.twocheckout;
    checkEnvironmentAllowed(deps, t.environment);
    const live = t.environment === 'live' && t.testOrders !== true;
    const id = newId('mer');
    const { row, keys } = await db.transaction(async (trx) => {
      const [row] = await trx<MerchantRow>('merchants')
        .insert({
          id,
          name: body.name,
          twocheckout_merchant_code: t.merchantCode,
          twocheckout_secret_key_sealed: secretBox.seal(t.secretKey, sealContext.secretKey(id)),
          twocheckout_buy_link_secret_word_sealed: secretBox.seal(
            t.buyLinkSecretWord,
            sealContext.buyLinkSecretWord(id),
          ),
          twocheckout_environment: t.environment,
          accept_test_orders: t.environment === 'live' || (t.testOrders ?? false),
          allow_md5_ipn: t.allowMd5Ipn ?? false,
          ...(live && {
            live_twocheckout_merchant_code: t.merchantCode,
            ...liveSecrets(id, t.secretKey, t.buyLinkSecretWord),
            live_allow_md5_ipn: t.allowMd5Ipn ?? false,
          }),
        })
        .returning('*');
      await recordSettingsChange(trx, secretBox, null, row!, { type: 'admin', name: 'admin' });
      return { row: row!, keys: { live: await insertApiKey(trx, id, true), test: await insertApiKey(trx, id, false) } };
    });
    const main = live ? keys.live : keys.test;
    deps.log('merchant created', {
      merchantId: id,
      live,
      keyIds: [keys.live.row.id, keys.test.row.id],
      keyPrefixes: [keys.live.row.prefix, keys.test.row.prefix],
    });
    const warning = await registerInSandbox(deps, row);
    res.status(201).json({
      ...view(row, live, main.row.prefix),
      apiKey: main.apiKey,
      liveApiKey: keys.live.apiKey,
      testApiKey: keys.test.apiKey,
      ...(warning && { warnings: [warning] }),
    });
  });

  /** GET /v1/merchant — the calling merchant with the 2Checkout setup of the key's mode, secrets masked. */
  router.get('/v1/merchant', requireMerchant, (_req, res) => {
    res.json(view(merchantOf(res.locals), livemodeOfKey(res.locals), apiKeyOf(res.locals).prefix));
  });

  /**
   * GET /v1/merchant/settings-changes — who changed the 2Checkout settings and keys of the calling key's mode, when,
   * and which (never a secret).
   */
  router.get('/v1/merchant/settings-changes', requireMerchant, async (_req, res) => {
    const changes = await listSettingsChanges(db, merchantOf(res.locals).id, 100);
    res.json({ data: changesOfMode(changes, livemodeOfKey(res.locals)).map(settingsChangeView) });
  });

  /**
   * PATCH /v1/merchant — change name, the 2Checkout setup of the key's mode (sealed again) or the webhook URL; a
   * webhook signing secret created or rotated here is in this answer only. A test key changes the test setup only, a
   * live key the live one: going live (a live key's first `twocheckout`) leaves the test setup as it is. The name and
   * the webhook URL serve both modes: once the merchant is live, only a live key changes them.
   */
  router.patch('/v1/merchant', requireMerchant, async (req, res) => {
    const body = patchMerchantBody.parse(req.body);
    const merchant = merchantOf(res.locals);
    const { id, webhook_url } = merchant;
    const livemode = livemodeOfKey(res.locals);
    const t = body.twocheckout ?? {};
    if (
      isLive(merchant) &&
      !livemode &&
      (body.name !== undefined || body.webhookUrl !== undefined || body.rotateWebhookSecret)
    )
      throw new HttpError(
        422,
        'setting_not_in_mode',
        'This merchant is live: its name and webhook URL (which live events go to too) are changed with a live key',
      );
    const setup = livemode ? liveSetupChange(merchant, t) : testSetupChange(merchant, t);
    checkEnvironmentAllowed(deps, t.environment);
    // before anything is written: a merchant turning live keeps no http:// webhook URL
    const after = { ...merchant, ...setup };
    checkWebhookUrl(webhookEnvironment(after), body.webhookUrl === undefined ? webhook_url : body.webhookUrl);
    const webhook =
      body.webhookUrl !== undefined || body.rotateWebhookSecret
        ? await updateWebhookSettings(deps, id, {
            ...(body.webhookUrl !== undefined && { webhookUrl: body.webhookUrl }),
            ...(body.rotateWebhookSecret !== undefined && { rotateSecret: body.rotateWebhookSecret }),
            ...(body.previousWebhookSecretExpiresIn !== undefined && {
              overlapSeconds: body.previousWebhookSecretExpiresIn,
            }),
            environment: webhookEnvironment(after),
          })
        : undefined;
    const key = apiKeyOf(res.locals);
    const row = await updateMerchantAudited(
      deps,
      id,
      { type: 'api_key', name: `${key.id} (${key.prefix})` },
      {
        ...(body.name !== undefined && { name: body.name }),
        ...setup,
        updated_at: db.fn.now() as unknown as Date,
      },
    );
    forgetMerchant(deps, id);
    const warning = await registerInSandbox(deps, row);
    res.json({
      ...view(row, livemode, key.prefix),
      ...(webhook?.webhookSecret !== undefined && { webhookSecret: webhook.webhookSecret }),
      ...(warning && { warnings: [warning] }),
    });
  });

  type SetupChange = NonNullable<PatchMerchantBody['twocheckout']>;

  /**
   * The columns a test key's `twocheckout` changes: the test setup only. A live setup still borrowing the test
   * setup's secrets (a merchant migrated live) gets its own copy first, so it stays exactly as it was.
   */
  function testSetupChange(m: MerchantRow, t: SetupChange): Partial<MerchantRow> {
    const environment = t.environment ?? m.twocheckout_environment;
    if (environment === 'live' && t.testOrders === false)
      throw new HttpError(
        422,
        'setting_not_in_mode',
        'Test mode on 2Checkout itself takes test orders only (testOrders: true); real orders are live mode: use a live key',
      );
    const changes: Partial<MerchantRow> = {
      ...(t.merchantCode !== undefined && { twocheckout_merchant_code: t.merchantCode }),
      ...(t.secretKey !== undefined && {
        twocheckout_secret_key_sealed: secretBox.seal(t.secretKey, sealContext.secretKey(m.id)),
      }),
      ...(t.buyLinkSecretWord !== undefined && {
        twocheckout_buy_link_secret_word_sealed: secretBox.seal(
          t.buyLinkSecretWord,
          sealContext.buyLinkSecretWord(m.id),
        ),
      }),
      ...(t.environment !== undefined && { twocheckout_environment: t.environment }),
      ...((t.testOrders !== undefined || environment === 'live') && {
        accept_test_orders: environment === 'live' || t.testOrders === true,
      }),
      ...(t.allowMd5Ipn !== undefined && { allow_md5_ipn: t.allowMd5Ipn }),
    };
    if (Object.keys(changes).length === 0 || !liveBorrowsTestSecrets(m)) return changes;
    const borrowed = openMerchant(m, secretBox, true);
    return { ...changes, ...liveSecrets(m.id, borrowed.secretKey, borrowed.buyLinkSecretWord) };
  }

  /**
   * The columns a live key's `twocheckout` changes: the live setup only, 2Checkout itself with real orders. The first
   * one is going live: merchant code and both secrets, unless they are the test setup's own 2Checkout account's.
   */
  function liveSetupChange(m: MerchantRow, t: SetupChange): Partial<MerchantRow> {
    if (t.environment === 'sandbox' || t.testOrders === true)
      throw new HttpError(
        422,
        'setting_not_in_mode',
        'Live mode is 2Checkout itself with real orders: the sandbox and test orders are test mode (use a test key)',
      );
    if (Object.keys(t).length === 0) return {};
    const current = isLive(m) ? openMerchant(m, secretBox, true) : undefined;
    const code = t.merchantCode ?? current?.merchantCode;
    if (code === undefined)
      throw new HttpError(
        400,
        'invalid_request',
        'twocheckout.merchantCode: going live needs the 2Checkout merchant code',
      );
    // the test setup's own 2Checkout account: its secrets are the live ones too
    const sameAccount =
      m.twocheckout_environment === 'live' && m.twocheckout_merchant_code === code
        ? openMerchant(m, secretBox, false)
        : undefined;
    const secretKey = t.secretKey ?? current?.secretKey ?? sameAccount?.secretKey;
    const buyLinkSecretWord = t.buyLinkSecretWord ?? current?.buyLinkSecretWord ?? sameAccount?.buyLinkSecretWord;
    if (secretKey === undefined || buyLinkSecretWord === undefined)
      throw new HttpError(
        400,
        'invalid_request',
        "twocheckout: going live needs the live 2Checkout account's merchantCode, secretKey and buyLinkSecretWord",
      );
    return {
      live_twocheckout_merchant_code: code,
      ...liveSecrets(m.id, secretKey, buyLinkSecretWord),
      ...(t.allowMd5Ipn !== undefined && { live_allow_md5_ipn: t.allowMd5Ipn }),
    };
  }

  return router;
}
