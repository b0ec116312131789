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
  api_key_hash: string;
  api_key_prefix: string;
  twocheckout_merchant_code: string;
  twocheckout_secret_key_sealed: string;
  twocheckout_buy_link_secret_word_sealed: string;
  twocheckout_environment: TwoCheckoutEnvironment;
  accept_test_orders: boolean;
  allow_md5_ipn: boolean;
  webhook_url: string | null;
  webhook_secret_sealed: string | null;
  created_at: Date;
  updated_at: Date;
}

/** The AES-GCM context of each sealed column: a ciphertext only opens in its own column of its own row. */
export const sealContext = {
  secretKey: (merchantId: string) => `merchants.twocheckout_secret_key:${merchantId}`,
  buyLinkSecretWord: (merchantId: string) => `merchants.twocheckout_buy_link_secret_word:${merchantId}`,
  webhookSecret: (merchantId: string) => `merchants.webhook_secret:${merchantId}`,
};

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
