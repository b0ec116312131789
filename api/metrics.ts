import type { Knex } from 'knex';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { INVOICE_STATUSES } from '../workflows/shared';

/** What an IPN POST came to, as counted by `ipn_received_total{verdict}`. */
export type IpnVerdict = 'accepted' | 'rejected' | 'unknown_merchant' | 'unavailable' | 'throttled';

/**
 * The api's Prometheus metrics, in a registry of their own (never prom-client's global one, so an api and a worker
 * in one test process do not collide). `db` is read at each scrape: a test may swap the database under the app.
 */
export function createApiMetrics(opts: { db: () => Knex; processMetrics?: boolean }) {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });

  const ipnReceived = new Counter({
    name: 'ipn_received_total',
    help: 'IPN POSTs answered, by verdict: accepted (stored, receipt sent; duplicates included), rejected (malformed or signature not verified), unknown_merchant, unavailable (database down: 503, 2Checkout retries), throttled (over the per-merchant rate limit: 429, 2Checkout retries)',
    labelNames: ['verdict'] as const,
    registers: [registry],
  });
  const ipnRejected = new Counter({
    name: 'ipn_rejected_total',
    help: 'IPNs refused without a receipt, by reason: malformed, missing_signature, bad_signature, md5_not_allowed',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const ipnDuplicates = new Counter({
    name: 'ipn_duplicates_total',
    help: 'Verified IPNs already stored (same REFNO, ORDERSTATUS and IPN_DATE): acknowledged again, changing nothing',
    registers: [registry],
  });
  const ipnReceiptDuration = new Histogram({
    name: 'ipn_receipt_duration_seconds',
    help: 'Time from an IPN POST arriving to its answer (the read receipt, or the refusal) being sent',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'invoices',
    help: 'Invoices in the database by status, counted at each scrape',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      let rows: { status: string; n: string | number }[];
      try {
        rows = await opts.db()('invoices').select('status').count({ n: '*' }).groupBy('status');
      } catch {
        // No database, no series: the rest of the scrape still answers; /readyz says what is down.
        return;
      }
      for (const status of INVOICE_STATUSES) this.set({ status }, 0);
      for (const row of rows) this.set({ status: row.status }, Number(row.n));
    },
  });

  return {
    registry,
    ipnReceiptDuration,
    /** Counts one answered IPN; `rejected` is the reason of a refusal, `duplicate` a verified IPN already stored. */
    ipnAnswered(verdict: IpnVerdict, detail: { rejected?: string; duplicate?: boolean } = {}) {
      ipnReceived.inc({ verdict });
      if (detail.rejected !== undefined) ipnRejected.inc({ reason: detail.rejected });
      if (detail.duplicate) ipnDuplicates.inc();
    },
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
