import { ActivityFailure, ApplicationFailure, isCancellation, log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { WebhookWorkflowInput } from './shared';

// Our own database: brief failures only.
const { prepareWebhookEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

export interface WebhookWorkflowResult {
  readonly eventId: string | null;
  readonly delivered: boolean;
  /** Why not, when not delivered. */
  readonly reason?: string;
}

/**
 * Announces one status change to the merchant's system: a signed POST of the event, retried with exponential
 * backoff (the merchant's policy, 3 days by default) until the merchant answers 2xx. Each attempt is a row in
 * webhook_deliveries; the retries themselves show on the pending activity in the Temporal UI.
 */
export async function webhookWorkflow(input: WebhookWorkflowInput): Promise<WebhookWorkflowResult> {
  const event = await prepareWebhookEvent({ auditEventId: input.auditEventId });
  if (event === null) return { eventId: null, delivered: false, reason: 'the merchant has no webhook URL' };

  // The merchant's endpoint may be down for a deploy or an outage: double the wait after each failure, up to an hour,
  // for as long as the policy says (3 days by default), then stop and leave the event to a resend.
  const { sendWebhook } = proxyActivities<Activities>({
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: event.policy.retryForMs,
    retry: {
      initialInterval: event.policy.firstRetryMs,
      backoffCoefficient: 2,
      maximumInterval: Math.max(event.policy.firstRetryMs, 3600_000),
    },
    summary: `${event.type} ${event.id}`,
  });
  try {
    const { attempt, status } = await sendWebhook(event);
    log.info('webhook delivered', { eventId: event.id, attempt, status });
    return { eventId: event.id, delivered: true };
  } catch (err) {
    if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
    const reason = err.cause instanceof ApplicationFailure ? err.cause.message : (err.cause?.message ?? err.message);
    log.warn('webhook not delivered; a resend can try again', { eventId: event.id, reason });
    return { eventId: event.id, delivered: false, reason };
  }
}
