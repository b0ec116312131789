import type { Knex } from 'knex';
import { sealContext, type MerchantRow } from '../lib/merchants';
import type { SecretBox } from '../lib/secret-box';
import { newWebhookSecret } from '../lib/webhooks';
import { HttpError } from './errors';

export interface WebhookSettingsChange {
  /** Where to POST events; null stops webhooks; undefined leaves the URL as it is. */
  readonly webhookUrl?: string | null;
  /** A new signing secret even though one exists (the old one stops working at once). */
  readonly rotateSecret?: boolean;
}

/**
 * Changes where a merchant's webhooks go. A signing secret is created the first time a URL is set, or on rotation,
 * and returned only then: it is shown to the merchant once and stored sealed.
 */
export async function updateWebhookSettings(
  deps: { db: Knex; secretBox: SecretBox },
  merchantId: string,
  change: WebhookSettingsChange,
): Promise<{ row: MerchantRow; webhookSecret?: string }> {
  return deps.db.transaction(async (trx) => {
    const current = await trx<MerchantRow>('merchants').where({ id: merchantId }).forUpdate().first();
    if (!current) throw new Error(`Merchant ${merchantId} does not exist`);
    const url = change.webhookUrl === undefined ? current.webhook_url : change.webhookUrl;
    if (url === null && change.rotateSecret)
      throw new HttpError(400, 'invalid_request', 'rotateWebhookSecret needs a webhookUrl: there is nothing to sign');
    const webhookSecret =
      url !== null && (current.webhook_secret_sealed === null || change.rotateSecret) ? newWebhookSecret() : undefined;
    const [row] = await trx<MerchantRow>('merchants')
      .where({ id: merchantId })
      .update({
        webhook_url: url,
        ...(url === null && { webhook_secret_sealed: null }), // a URL set again later gets a new secret, shown once
        ...(webhookSecret !== undefined && {
          webhook_secret_sealed: deps.secretBox.seal(webhookSecret, sealContext.webhookSecret(merchantId)),
        }),
        updated_at: trx.fn.now() as unknown as Date,
      })
      .returning('*');
    return { row: row!, ...(webhookSecret !== undefined && { webhookSecret }) };
  });
}
