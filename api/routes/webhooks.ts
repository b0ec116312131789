import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Router, type RequestHandler } from 'express';
import { webhookWorkflow } from '../../workflows/webhook';
import { SEARCH_ATTRIBUTES, TASK_QUEUE, webhookEventId, webhookWorkflowIdOf } from '../../workflows/shared';
import { merchantOf, scopeOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError, notFound } from '../errors';
import { paginate, pageView, SERIAL_KEYS } from '../paging';
import { listWebhookDeliveriesQuery, webhookEventParams } from '../schemas';
import { webhookDeliveryView, type WebhookDeliveryRow } from '../views';

/** Webhooks to the merchant's system: every attempt, and a resend of any event. */
export function webhookRoutes(deps: ApiDeps, requireMerchant: RequestHandler) {
  const { db, temporal, clock } = deps;
  const router = Router();

  /** GET /v1/webhook-deliveries?invoiceId=&eventId=&limit=&cursor= — attempts, newest first (api/paging.ts). */
  router.get('/v1/webhook-deliveries', requireMerchant, async (req, res) => {
    const q = listWebhookDeliveriesQuery.parse(req.query);
    const query = db('webhook_deliveries').select('*').where(scopeOf(res.locals));
    if (q.invoiceId !== undefined) void query.where({ invoice_id: q.invoiceId });
    if (q.eventId !== undefined) void query.where({ event_id: q.eventId });
    res.json(pageView(await paginate<WebhookDeliveryRow>(db, query, SERIAL_KEYS, q), webhookDeliveryView));
  });

  /**
   * POST /v1/webhook-events/{eventId}/resend — delivers the event again, as a new workflow with the same retries:
   * the same stored event, byte for byte (lib/events.ts).
   */
  router.post('/v1/webhook-events/:eventId/resend', requireMerchant, async (req, res) => {
    const { eventId } = webhookEventParams.parse(req.params);
    const merchant = merchantOf(res.locals);
    const auditEventId = Number(eventId.slice('evt_'.length));
    const event = await db('invoice_events')
      .join('invoices', 'invoices.id', 'invoice_events.invoice_id')
      .where({
        'invoice_events.id': auditEventId,
        'invoices.merchant_id': merchant.id,
        'invoices.livemode': scopeOf(res.locals).livemode,
      })
      .whereNotNull('invoice_events.to_status')
      .first<{ invoice_id: string } | undefined>('invoice_events.invoice_id');
    if (!event || webhookEventId(auditEventId) !== eventId) throw notFound('Event');
    const current = await db('merchants')
      .where({ id: merchant.id })
      .first<{ webhook_url: string | null }>('webhook_url');
    if (!current?.webhook_url)
      throw new HttpError(409, 'no_webhook_url', 'Set a webhookUrl with PATCH /v1/merchant first');
    const workflowId = `${webhookWorkflowIdOf(auditEventId)}-resend-${clock().getTime()}`;
    try {
      await temporal.workflow.start(webhookWorkflow, {
        workflowId,
        taskQueue: TASK_QUEUE,
        args: [{ auditEventId }],
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTES.invoiceId, value: event.invoice_id },
          { key: SEARCH_ATTRIBUTES.merchantId, value: merchant.id },
        ],
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        throw new HttpError(409, 'resend_in_progress', 'This event was resent a moment ago; wait a second');
      throw new HttpError(503, 'service_unavailable', 'Could not start the delivery; retry');
    }
    res.status(202).json({ eventId, workflowId });
  });

  return router;
}
