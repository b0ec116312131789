import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Knex } from 'knex';
import { storedEvent } from '../lib/events';
import { sealContext, webhookEnvironment, type MerchantRow } from '../lib/merchants';
import { outboundAgent, postCapped, refusedTargetOf } from '../lib/outbound';
import type { SecretBox } from '../lib/secret-box';
import { webhookHeaders, webhookUrlProblem } from '../lib/webhooks';
import { DEFAULT_WEBHOOK_POLICY, ERRORS, type WebhookEvent } from '../workflows/shared';
import type { ActivityDeps } from './deps';

/** How long one POST to the merchant may take; a slower endpoint counts as a failed attempt. */
const SEND_TIMEOUT_MS = 10_000;
/** How much of the merchant's answer is read: the rest is never downloaded. */
const ANSWER_LIMIT_BYTES = 4096;
/** How much of what was read is kept with the attempt, for the dashboard. */
const EXCERPT_CHARS = 500;

export const webhookActivities = (deps: ActivityDeps) => {
  const { db, secretBox, clock, webhookPolicy, metrics } = deps;
  // One connection pool per worker, refusing non-public addresses as it connects (unless the deployment allows them).
  const agent = outboundAgent({ allowPrivateTargets: deps.allowPrivateWebhookTargets ?? false });
  return {
    /**
     * The event to send for one audit-trail row, as stored when the change was written (lib/events.ts): every
     * attempt and every resend sends the same bytes. Null when the merchant has no webhook URL.
     */
    async prepareWebhookEvent(input: { auditEventId: number }): Promise<WebhookEvent | null> {
      const event = await storedEvent(db, input.auditEventId);
      if (!event)
        throw ApplicationFailure.nonRetryable(`No status change ${input.auditEventId} to announce`, ERRORS.noSuchEvent);
      const merchant = await db('merchants')
        .where({ id: event.merchant_id })
        .first<{ webhook_url: string | null }>('webhook_url');
      if (!merchant?.webhook_url) return null;
      return {
        id: event.id,
        type: event.type,
        invoiceId: event.invoice_id,
        merchantId: event.merchant_id,
        body: event.payload,
        policy: webhookPolicy ?? DEFAULT_WEBHOOK_POLICY,
      };
    },

    /**
     * One signed POST of the event to the merchant's current webhook URL, logged as an attempt whatever happens.
     * Anything but a 2xx answer fails the attempt, and Temporal retries it with backoff (see webhookWorkflow). A URL
     * whose address is not public, a redirect, or an http:// URL of a live merchant fails it too, and says why.
     */
    async sendWebhook(event: WebhookEvent): Promise<{ attempt: number; status: number }> {
      const merchant = await db<MerchantRow>('merchants').where({ id: event.merchantId }).first();
      if (!merchant?.webhook_url || !merchant.webhook_secret_sealed)
        throw ApplicationFailure.nonRetryable('The merchant no longer has a webhook URL', ERRORS.noWebhookUrl);
      const url = merchant.webhook_url;
      const attempt = await logAttempt(db, event, url);
      const now = clock();
      const timestamp = Math.floor(now.getTime() / 1000);
      Context.current().log.info('sending webhook', { eventId: event.id, type: event.type, attempt });

      let outcome: { state: 'succeeded' | 'failed'; status?: number; excerpt?: string; error?: string };
      const notAllowed = webhookUrlProblem(webhookEnvironment(merchant), url);
      if (notAllowed !== undefined) {
        outcome = { state: 'failed', error: `Not sent: the webhook URL ${notAllowed}` };
      } else {
        try {
          const answer = await postCapped(agent, url, {
            headers: {
              'Content-Type': 'application/json',
              'User-Agent': 'twocheckout-invoices-webhooks/1',
              ...webhookHeaders(signingSecrets(secretBox, merchant, now), event.id, timestamp, event.body),
            },
            body: event.body,
            signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
            maxBytes: ANSWER_LIMIT_BYTES,
          });
          outcome =
            answer.status >= 300 && answer.status < 400
              ? // a redirect is not a delivery, and is not followed: the merchant should give the final URL
                { state: 'failed', status: answer.status, error: 'A redirect: set the final URL as webhookUrl' }
              : {
                  state: answer.status >= 200 && answer.status < 300 ? 'succeeded' : 'failed',
                  status: answer.status,
                  excerpt: answer.body.toString('utf8').slice(0, EXCERPT_CHARS),
                };
        } catch (err) {
          const refused = refusedTargetOf(err);
          outcome = {
            state: 'failed',
            error: refused
              ? `Not sent: ${refused.message}`
              : err instanceof Error
                ? `${err.name}: ${err.message}`
                : String(err),
          };
        }
      }
      await db('webhook_deliveries')
        .where({ event_id: event.id, attempt })
        .update({
          state: outcome.state,
          response_status: outcome.status ?? null,
          response_excerpt: outcome.excerpt ?? null,
          error: outcome.error ?? null,
          completed_at: db.fn.now(),
        });
      metrics?.webhookDeliveryAttempts.inc({ outcome: outcome.state });
      if (outcome.state === 'failed') {
        throw ApplicationFailure.retryable(
          outcome.error ?? `${url} answered HTTP ${outcome.status}`,
          ERRORS.webhookNotAccepted,
        );
      }
      return { attempt, status: outcome.status! };
    },
  };
};

/** The current secret, then the previous one while its overlap lasts (migrations/…_webhook_previous_secret.ts). */
function signingSecrets(box: SecretBox, merchant: MerchantRow, now: Date): string[] {
  const current = box.open(merchant.webhook_secret_sealed!, sealContext.webhookSecret(merchant.id));
  const previous =
    merchant.webhook_previous_secret_sealed !== null &&
    merchant.webhook_previous_secret_expires_at !== null &&
    merchant.webhook_previous_secret_expires_at > now
      ? box.open(merchant.webhook_previous_secret_sealed, sealContext.previousWebhookSecret(merchant.id))
      : undefined;
  return previous === undefined ? [current] : [current, previous];
}

/** Records the attempt before it is made (a crash leaves it `pending`); numbered per event across resends. */
async function logAttempt(db: Knex, event: WebhookEvent, url: string): Promise<number> {
  for (let tries = 0; ; tries++) {
    try {
      const [row] = await db('webhook_deliveries')
        .insert({
          merchant_id: event.merchantId,
          livemode: db('invoices').where({ id: event.invoiceId }).select('livemode'),
          invoice_id: event.invoiceId,
          event_id: event.id,
          event_type: event.type,
          payload: event.body,
          url,
          attempt: db('webhook_deliveries')
            .where({ event_id: event.id })
            .select(db.raw('coalesce(max(attempt), 0) + 1')),
          state: 'pending',
        })
        .returning<{ attempt: number }[]>('attempt');
      return row!.attempt;
    } catch (err) {
      // Another delivery of the same event (a resend) took the number: take the next one.
      if (tries < 5 && (err as { code?: string }).code === '23505') continue;
      throw err;
    }
  }
}
