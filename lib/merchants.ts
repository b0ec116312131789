import type { Knex } from 'knex';
import type { SecretBox } from './secret-box';
import { CONVERTPLUS_BUY_URL } from './twocheckout';

export type TwoCheckoutEnvironment = 'sandbox' | 'live';

/** A merchant with its 2Checkout secrets opened: only ever in memory, never logged, never in workflow history. */
export interface Merchant {
  readonly id: string;
  readonly name: string;
  readonly merchantCode: string;
  readonly secretKey: string;
  readonly buyLinkSecretWord: string;
  readonly environment: TwoCheckoutEnvironment;
  readonly acceptTestOrders: boolean;
  readonly allowMd5Ipn: boolean;
  readonly webhookUrl: string | null;
  readonly webhookSecret: string | null;
  readonly createdAt: Date;
}

export interface MerchantRow {
  id: string;
  name: string;
  twocheckout_merchant_code: string;
  twocheckout_secret_key_sealed: string;
  twocheckout_buy_link_secret_word_sealed: string;
  twocheckout_environment: TwoCheckoutEnvironment;
  accept_test_orders: boolean;
  allow_md5_ipn: boolean;
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
];

export function openMerchant(row: MerchantRow, box: SecretBox): Merchant {
  return {
    id: row.id,
    name: row.name,
    merchantCode: row.twocheckout_merchant_code,
    secretKey: box.open(row.twocheckout_secret_key_sealed, sealContext.secretKey(row.id)),
    buyLinkSecretWord: box.open(row.twocheckout_buy_link_secret_word_sealed, sealContext.buyLinkSecretWord(row.id)),
    environment: row.twocheckout_environment,
    acceptTestOrders: row.accept_test_orders,
    allowMd5Ipn: row.allow_md5_ipn,
    webhookUrl: row.webhook_url,
    webhookSecret:
      row.webhook_secret_sealed === null
        ? null
        : box.open(row.webhook_secret_sealed, sealContext.webhookSecret(row.id)),
    createdAt: row.created_at,
  };
}

export async function loadMerchant(db: Knex, box: SecretBox, merchantId: string): Promise<Merchant | undefined> {
  const row = await db<MerchantRow>('merchants').where({ id: merchantId }).first();
  return row && openMerchant(row, box);
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
  const created = `2Checkout merchant ${invoice.twocheckout_merchant_code} (${invoice.twocheckout_environment})`;
  if (invoice.twocheckout_environment === 'sandbox' && !sandboxEnabled)
    return `this invoice was created under ${created}, and the sandbox is disabled in this deployment (SANDBOX_ENABLED)`;
  if (
    merchant.environment !== invoice.twocheckout_environment ||
    merchant.merchantCode !== invoice.twocheckout_merchant_code
  )
    return `this invoice was created under ${created}, and the merchant's settings now name 2Checkout merchant ${merchant.merchantCode} (${merchant.environment}): only the account it was created under can confirm its payments`;
  return null;
}
