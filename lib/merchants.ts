import type { Knex } from 'knex';
import type { SecretBox } from './secret-box';
import { CONVERTPLUS_BUY_URL } from './twocheckout';

export type TwoCheckoutEnvironment = 'sandbox' | 'live';

/**
 * A merchant with the 2Checkout setup of one mode opened (secrets included): only ever in memory, never logged, never
 * in workflow history. Test mode: the sandbox, or 2Checkout itself with test orders only; live mode: 2Checkout, real
 * orders.
 */
export interface Merchant {
  readonly id: string;
  readonly name: string;
  /** The mode whose setup this is. */
  readonly livemode: boolean;
  readonly merchantCode: string;
  readonly secretKey: string;
  readonly buyLinkSecretWord: string;
  readonly environment: TwoCheckoutEnvironment;
  /** Whether a 2Checkout test order may pay; also whether its links ask for test orders (`test=1`). */
  readonly acceptTestOrders: boolean;
  readonly allowMd5Ipn: boolean;
  readonly webhookUrl: string | null;
  readonly webhookSecret: string | null;
  readonly createdAt: Date;
}

/** The `twocheckout_` columns and `accept_test_orders`, `allow_md5_ipn` are the test setup; `live_` the live one. */
export interface MerchantRow {
  id: string;
  name: string;
  twocheckout_merchant_code: string;
  twocheckout_secret_key_sealed: string;
  twocheckout_buy_link_secret_word_sealed: string;
  twocheckout_environment: TwoCheckoutEnvironment;
  accept_test_orders: boolean;
  allow_md5_ipn: boolean;
  /** The live setup (migrations/20261202000400_test_and_live_mode.ts): null code, not live yet. */
  live_twocheckout_merchant_code: string | null;
  /** Null while live: the test setup's, the same 2Checkout account (merchants migrated live). */
  live_twocheckout_secret_key_sealed: string | null;
  live_twocheckout_buy_link_secret_word_sealed: string | null;
  live_allow_md5_ipn: boolean;
  webhook_url: string | null;
  webhook_secret_sealed: string | null;
  /** The secret before the last rotation: webhooks are signed with it too until the time beside it. */
  webhook_previous_secret_sealed: string | null;
  webhook_previous_secret_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
  /** Set by the admin: API keys and the dashboard refused, payments still handled (api_keys live in lib/api-keys.ts). */
  disabled_at: Date | null;
  disabled_reason: string | null;
  /** Dashboard sessions of another version are refused; signing out moves it on (api/dashboard-session.ts). */
  dashboard_session_version: number;
}

/** The AES-GCM context of each sealed column: a ciphertext only opens in its own column of its own row. */
export const sealContext = {
  secretKey: (merchantId: string) => `merchants.twocheckout_secret_key:${merchantId}`,
  buyLinkSecretWord: (merchantId: string) => `merchants.twocheckout_buy_link_secret_word:${merchantId}`,
  liveSecretKey: (merchantId: string) => `merchants.live_twocheckout_secret_key:${merchantId}`,
  liveBuyLinkSecretWord: (merchantId: string) => `merchants.live_twocheckout_buy_link_secret_word:${merchantId}`,
  webhookSecret: (merchantId: string) => `merchants.webhook_secret:${merchantId}`,
  previousWebhookSecret: (merchantId: string) => `merchants.webhook_previous_secret:${merchantId}`,
};

/**
 * Every sealed column, with the context it is sealed under: what `npm run reseal` (scripts/reseal.ts) moves to the
 * current key. A new sealed column belongs here.
 */
export const SEALED_COLUMNS: readonly {
  column: keyof MerchantRow & `${string}_sealed`;
  context: (id: string) => string;
}[] = [
  { column: 'twocheckout_secret_key_sealed', context: sealContext.secretKey },
  { column: 'twocheckout_buy_link_secret_word_sealed', context: sealContext.buyLinkSecretWord },
  { column: 'webhook_secret_sealed', context: sealContext.webhookSecret },
  { column: 'webhook_previous_secret_sealed', context: sealContext.previousWebhookSecret },
  { column: 'live_twocheckout_secret_key_sealed', context: sealContext.liveSecretKey },
  { column: 'live_twocheckout_buy_link_secret_word_sealed', context: sealContext.liveBuyLinkSecretWord },
];

/** Whether the merchant has a live setup: until then its live keys read, and make no invoice. */
export const isLive = (row: Pick<MerchantRow, 'live_twocheckout_merchant_code'>) =>
  row.live_twocheckout_merchant_code !== null;

/** The live setup is borrowing the test setup's secrets (the same 2Checkout account, as migrated). */
export const liveBorrowsTestSecrets = (row: MerchantRow) =>
  isLive(row) && row.live_twocheckout_secret_key_sealed === null;

export class LiveModeNotSetUp extends Error {
  constructor(merchantId: string) {
    super(`merchant ${merchantId} has no live 2Checkout setup`);
  }
}

/**
 * The merchant with the setup of `livemode` opened. A test setup on 2Checkout itself takes test orders only; a live
 * setup never does. Throws LiveModeNotSetUp for live mode before the merchant went live.
 */
export function openMerchant(row: MerchantRow, box: SecretBox, livemode: boolean): Merchant {
  // the setup's secrets are opened first, then the webhook secret (as before modes: the same error for the same row)
  const common = () => ({
    id: row.id,
    name: row.name,
    livemode,
    webhookUrl: row.webhook_url,
    webhookSecret:
      row.webhook_secret_sealed === null
        ? null
        : box.open(row.webhook_secret_sealed, sealContext.webhookSecret(row.id)),
    createdAt: row.created_at,
  });
  const testSecretKey = () => box.open(row.twocheckout_secret_key_sealed, sealContext.secretKey(row.id));
  const testSecretWord = () =>
    box.open(row.twocheckout_buy_link_secret_word_sealed, sealContext.buyLinkSecretWord(row.id));
  if (!livemode) {
    const [secretKey, buyLinkSecretWord] = [testSecretKey(), testSecretWord()];
    return {
      ...common(),
      merchantCode: row.twocheckout_merchant_code,
      secretKey,
      buyLinkSecretWord,
      environment: row.twocheckout_environment,
      acceptTestOrders: row.twocheckout_environment === 'live' || row.accept_test_orders,
      allowMd5Ipn: row.allow_md5_ipn,
    };
  }
  if (row.live_twocheckout_merchant_code === null) throw new LiveModeNotSetUp(row.id);
  const secretKey =
    row.live_twocheckout_secret_key_sealed === null
      ? testSecretKey()
      : box.open(row.live_twocheckout_secret_key_sealed, sealContext.liveSecretKey(row.id));
  const buyLinkSecretWord =
    row.live_twocheckout_buy_link_secret_word_sealed === null
      ? testSecretWord()
      : box.open(row.live_twocheckout_buy_link_secret_word_sealed, sealContext.liveBuyLinkSecretWord(row.id));
  return {
    ...common(),
    merchantCode: row.live_twocheckout_merchant_code,
    secretKey,
    buyLinkSecretWord,
    environment: 'live',
    acceptTestOrders: false,
    allowMd5Ipn: row.live_allow_md5_ipn,
  };
}

/** The merchant with the setup of `livemode`; undefined when there is no such merchant or no such setup. */
export async function loadMerchant(
  db: Knex,
  box: SecretBox,
  merchantId: string,
  livemode: boolean,
): Promise<Merchant | undefined> {
  const row = await db<MerchantRow>('merchants').where({ id: merchantId }).first();
  if (!row || (livemode && !isLive(row))) return undefined;
  return openMerchant(row, box, livemode);
}

/** Where a merchant's 2Checkout lives: the real hosts when live, the local sandbox (by configured URL) otherwise. */
export function twoCheckoutEndpoints(
  environment: TwoCheckoutEnvironment,
  sandboxUrl: string,
): { buyLinkUrl: string; restApiUrl: string } {
  if (environment === 'live')
    return { buyLinkUrl: CONVERTPLUS_BUY_URL, restApiUrl: 'https://api.2checkout.com/rest/6.0' };
  const base = sandboxUrl.replace(/\/+$/, '');
  return { buyLinkUrl: `${base}/checkout/buy/`, restApiUrl: `${base}/rest/6.0` };
}

/** The 2Checkout account an invoice was created under, recorded on it (migrations/…_invoice_twocheckout_account.ts). */
export interface InvoiceAccount {
  readonly livemode: boolean;
  readonly twocheckout_environment: TwoCheckoutEnvironment;
  readonly twocheckout_merchant_code: string;
}

/**
 * Why an invoice cannot be verified with the merchant's settings of now, or null when it can (DESIGN.md §8): its
 * payments are checked only with the 2Checkout account it was created under, never one the merchant switched to
 * since (a `sandbox` account the API key holder controls could confirm any payment), and never in the sandbox where
 * this deployment does not enable it.
 */
export function accountMismatch(merchant: Merchant, invoice: InvoiceAccount, sandboxEnabled: boolean): string | null {
  if (merchant.livemode !== invoice.livemode)
    return `this ${invoice.livemode ? 'live' : 'test'} invoice is verified with the merchant's ${invoice.livemode ? 'live' : 'test'} setup only`;
  const created = `2Checkout merchant ${invoice.twocheckout_merchant_code} (${invoice.twocheckout_environment})`;
  if (invoice.twocheckout_environment === 'sandbox' && !sandboxEnabled)
    return `this invoice was created under ${created}, and the sandbox is disabled in this deployment (SANDBOX_ENABLED)`;
  if (
    merchant.environment !== invoice.twocheckout_environment ||
    merchant.merchantCode !== invoice.twocheckout_merchant_code
  )
    return `this invoice was created under ${created}, and the merchant's ${merchant.livemode ? 'live' : 'test'} setup now names 2Checkout merchant ${merchant.merchantCode} (${merchant.environment}): only the account it was created under can confirm its payments`;
  return null;
}

/**
 * What one API key or dashboard session sees: its merchant's rows of its mode. Rows are found with `where(scope)`, so
 * a row of the other mode is not found (404), as another merchant's is.
 */
export interface ModeScope {
  readonly merchant_id: string;
  readonly livemode: boolean;
}

/**
 * Which rule the merchant's webhook URL (one for both modes) follows (lib/webhooks.ts): `live`, https only, once either
 * setup is 2Checkout itself, whose payments (test orders included) are announced over TLS only.
 */
export function webhookEnvironment(
  row: Pick<MerchantRow, 'live_twocheckout_merchant_code' | 'twocheckout_environment'>,
): TwoCheckoutEnvironment {
  return isLive(row) ? 'live' : row.twocheckout_environment;
}
