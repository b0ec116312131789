import type { Knex } from 'knex';
import { sealContext, webhookEnvironment, type MerchantRow, type TwoCheckoutEnvironment } from '../lib/merchants';
import type { SecretBox } from '../lib/secret-box';
import { DEFAULT_WEBHOOK_SECRET_OVERLAP_SECONDS, newWebhookSecret, webhookUrlProblem } from '../lib/webhooks';
import { invalidField } from './errors';

export interface WebhookSettingsChange {
  /** Where to POST events; null stops webhooks; undefined leaves the URL as it is. */
  readonly webhookUrl?: string | null;
  /** A new signing secret even though one exists. */
  readonly rotateSecret?: boolean;
  /** On rotation: how long the replaced secret goes on signing too, in seconds (default 24 h; 0 stops it at once). */
  readonly overlapSeconds?: number;
  /** Which rule the URL follows after this change (lib/merchants.ts webhookEnvironment), when the request changes it. */
  readonly environment?: TwoCheckoutEnvironment;
}

/** A 400 when `url` may not receive the webhooks of a merchant in `environment` (live: https only). */
export function checkWebhookUrl(environment: TwoCheckoutEnvironment, url: string | null): void {
  const problem = url === null ? undefined : webhookUrlProblem(environment, url);
  if (problem !== undefined) throw invalidField('webhookUrl', problem);
}

/**
 * Changes where a merchant's webhooks go. A signing secret is created the first time a URL is set, or on rotation,
 * and returned only then: it is shown to the merchant once and stored sealed. On rotation the replaced secret is
 * kept for the overlap, and webhooks carry both signatures until it ends, so the merchant's receiver can move to the
 * new secret without refusing a webhook.
 */
export async function updateWebhookSettings(
  deps: { db: Knex; secretBox: SecretBox; clock: () => Date },
  merchantId: string,
  change: WebhookSettingsChange,
): Promise<{ row: MerchantRow; webhookSecret?: string }> {
  return deps.db.transaction(async (trx) => {
    const current = await trx<MerchantRow>('merchants').where({ id: merchantId }).forUpdate().first();
    if (!current) throw new Error(`Merchant ${merchantId} does not exist`);
    const url = change.webhookUrl === undefined ? current.webhook_url : change.webhookUrl;
    if (url === null && change.rotateSecret)
      throw invalidField('rotateWebhookSecret', 'needs a webhookUrl: there is nothing to sign');
    checkWebhookUrl(change.environment ?? webhookEnvironment(current), url);
    const webhookSecret =
      url !== null && (current.webhook_secret_sealed === null || change.rotateSecret) ? newWebhookSecret() : undefined;
    const overlapMs = (change.overlapSeconds ?? DEFAULT_WEBHOOK_SECRET_OVERLAP_SECONDS) * 1000;
    const replaced = webhookSecret !== undefined && overlapMs > 0 ? current.webhook_secret_sealed : null;
    const [row] = await trx<MerchantRow>('merchants')
      .where({ id: merchantId })
      .update({
        webhook_url: url,
        // a URL set again later gets a new secret, shown once; nothing signs for a removed URL
        ...(url === null && {
          webhook_secret_sealed: null,
          webhook_previous_secret_sealed: null,
          webhook_previous_secret_expires_at: null,
        }),
        ...(webhookSecret !== undefined && {
          webhook_secret_sealed: deps.secretBox.seal(webhookSecret, sealContext.webhookSecret(merchantId)),
          // one previous secret at most: a second rotation within the overlap ends the first one's
          webhook_previous_secret_sealed:
            replaced === null
              ? null
              : deps.secretBox.seal(
                  deps.secretBox.open(replaced, sealContext.webhookSecret(merchantId)),
                  sealContext.previousWebhookSecret(merchantId),
                ),
          webhook_previous_secret_expires_at: replaced === null ? null : new Date(deps.clock().getTime() + overlapMs),
        }),
        updated_at: trx.fn.now() as unknown as Date,
      })
      .returning('*');
    return { row: row!, ...(webhookSecret !== undefined && { webhookSecret }) };
  });
}
