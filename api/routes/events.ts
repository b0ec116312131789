import { Router, type RequestHandler } from 'express';
import { eventColumns, type EventRow } from '../../lib/events';
import { scopeOf } from '../auth';
import type { ApiDeps } from '../deps';
import { notFound } from '../errors';
import { paginate, pageView, type PageKey } from '../paging';
import { eventParams, listEventsQuery } from '../schemas';

/** How far back GET /v1/events reaches: long enough to catch up after any outage a merchant would sit out. */
export const EVENTS_KEPT_DAYS = 30;

/** Events are ordered by the audit row they announce, which grows with time. */
const EVENT_KEYS: readonly PageKey[] = [{ column: 'audit_event_id', type: 'bigint' }];

/** The event as it was sent: the stored bytes, parsed. */
const eventView = (row: EventRow): unknown => JSON.parse(row.payload);

/** The merchant's events: what its webhooks said, to catch up after its endpoint was down. */
export function eventRoutes(deps: ApiDeps, requireMerchant: RequestHandler) {
  const { db, clock } = deps;
  const router = Router();
  const since = () => new Date(clock().getTime() - EVENTS_KEPT_DAYS * 24 * 3600 * 1000);

  /** GET /v1/events?type=&invoiceId=&limit=&cursor= — the last 30 days, newest first. */
  router.get('/v1/events', requireMerchant, async (req, res) => {
    const q = listEventsQuery.parse(req.query);
    const query = db('events')
      .select(eventColumns(db))
      // the key's own merchant and mode: a test key sees test events only, and the reverse
      .where(scopeOf(res.locals))
      .where('created_at', '>=', since());
    if (q.type !== undefined) void query.where({ type: q.type });
    if (q.invoiceId !== undefined) void query.where({ invoice_id: q.invoiceId });
    res.json(pageView(await paginate<EventRow>(db, query, EVENT_KEYS, q), eventView));
  });

  /** GET /v1/events/{id} — one event, as it was sent (30 days, like the list). */
  router.get('/v1/events/:id', requireMerchant, async (req, res) => {
    const { id } = eventParams.parse(req.params);
    const row = (await db('events')
      .first(eventColumns(db) as never)
      .where({ id, ...scopeOf(res.locals) })
      .where('created_at', '>=', since())) as EventRow | undefined;
    if (!row) throw notFound('Event');
    res.json(eventView(row));
  });

  return router;
}
