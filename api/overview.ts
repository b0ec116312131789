/**
 * The dashboard's overview of one merchant: money paid lately (gross, 2Checkout's fees, net payout), invoices by
 * status, what needs a person, and payments per day. Days are UTC days. Every query is the merchant's only and runs on
 * an index: invoices (merchant_id, livemode, paid_at) for payments, (merchant_id, livemode, status, created_at) for
 * the rest. One mode's only: the session's.
 */
import type { Knex } from 'knex';
import type { InvoiceRow } from '../lib/invoice';
import type { ModeScope } from '../lib/merchants';
import { INVOICE_STATUSES, type InvoiceStatus } from '../workflows/shared';

const DAY_MS = 86400_000;
const HOUR_MS = 3600_000;
/** Days of the chart and of the longest period. */
export const OVERVIEW_DAYS = 30;
/** Invoices listed per "needs a person" list (the heading gives the whole count). */
const ATTENTION_ROWS = 10;
/** `processing` unchanged this long is stuck: 2Checkout normally settles an order in minutes. */
export const STUCK_PROCESSING_MS = HOUR_MS;

export interface MoneyTotal {
  readonly currency: string;
  readonly minor: number;
}

/** Payments of a period. Fees and net payouts are in their own currencies, which need not be the order's. */
export interface PaidTotals {
  readonly payments: number;
  readonly gross: MoneyTotal[];
  readonly fees: MoneyTotal[];
  readonly net: MoneyTotal[];
  /** Payments whose fee 2Checkout has not reported (yet): not in `fees` nor `net`. */
  readonly feesUnknown: number;
}

export type AttentionRow = Pick<
  InvoiceRow,
  'id' | 'status' | 'amount_minor' | 'currency' | 'status_reason' | 'created_at' | 'updated_at'
>;

export interface Overview {
  readonly asOf: Date;
  readonly periods: { readonly today: PaidTotals; readonly week: PaidTotals; readonly month: PaidTotals };
  /** The last OVERVIEW_DAYS UTC days, oldest first, today last. */
  readonly days: {
    readonly day: string;
    readonly date: Date;
    readonly payments: number;
    readonly gross: MoneyTotal[];
  }[];
  /** Every status the merchant has invoices in, in the lifecycle's order. */
  readonly byStatus: { readonly status: InvoiceStatus; readonly count: number }[];
  readonly attention: {
    readonly needsReview: { rows: AttentionRow[]; total: number };
    readonly disputed: { rows: AttentionRow[]; total: number };
    /** `processing` and unchanged for STUCK_PROCESSING_MS. */
    readonly stuckProcessing: { rows: AttentionRow[]; total: number };
  };
}

/** One group of the payments query: a UTC day and a combination of order, fee and payout currencies. */
interface PaidGroup {
  day: string;
  currency: string;
  fee_currency: string | null;
  payout_currency: string | null;
  payments: string;
  gross: string;
  with_fee: string;
  fee: string | null;
  payout: string | null;
}

const ATTENTION_COLUMNS = ['id', 'status', 'amount_minor', 'currency', 'status_reason', 'created_at', 'updated_at'];

/** PostgreSQL sums bigints as numeric (a string here); amounts of minor units stay far below 2^53. */
const int = (v: string | null) => (v === null ? 0 : Number(v));

function addTo(totals: Map<string, number>, currency: string | null, minor: number) {
  if (currency !== null) totals.set(currency, (totals.get(currency) ?? 0) + minor);
}
const sorted = (totals: Map<string, number>): MoneyTotal[] =>
  [...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([currency, minor]) => ({ currency, minor }));

function totalsOf(groups: readonly PaidGroup[]): PaidTotals {
  const gross = new Map<string, number>();
  const fees = new Map<string, number>();
  const net = new Map<string, number>();
  let payments = 0;
  let feesUnknown = 0;
  for (const g of groups) {
    payments += int(g.payments);
    addTo(gross, g.currency, int(g.gross));
    addTo(fees, g.fee_currency, int(g.fee));
    addTo(net, g.payout_currency, int(g.payout));
    feesUnknown += int(g.payments) - int(g.with_fee);
  }
  return { payments, gross: sorted(gross), fees: sorted(fees), net: sorted(net), feesUnknown };
}

/**
 * The merchant's overview at `now`. Payments: invoices whose payment was confirmed (`paid_at`) in the period,
 * whatever became of them later (a refund or chargeback is not subtracted), except those 2Checkout reversed
 * (`failed`): that money never arrived.
 */
export async function merchantOverview(db: Knex, scope: ModeScope, now: Date): Promise<Overview> {
  const { merchant_id: merchantId, livemode } = scope;
  const today = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  const since = new Date(today.getTime() - (OVERVIEW_DAYS - 1) * DAY_MS);

  const paid = db('invoices')
    .select(
      db.raw(`to_char(paid_at at time zone 'UTC', 'YYYY-MM-DD') as day`),
      'currency',
      'fee_currency',
      'payout_currency',
    )
    .count({ payments: '*' })
    .sum({ gross: 'amount_minor' })
    .count({ with_fee: 'fee_minor' })
    .sum({ fee: 'fee_minor' })
    .sum({ payout: 'payout_minor' })
    .where({ merchant_id: merchantId, livemode })
    .where('paid_at', '>=', since)
    .whereNot('status', 'failed')
    .groupBy('day', 'currency', 'fee_currency', 'payout_currency') as unknown as Promise<PaidGroup[]>;

  const byStatus = db('invoices')
    .select('status')
    .count({ n: '*' })
    .where({ merchant_id: merchantId, livemode })
    .groupBy('status') as unknown as Promise<{ status: InvoiceStatus; n: string }[]>;

  const attention = (status: InvoiceStatus, olderThan?: Date) => {
    const q = db<InvoiceRow>('invoices')
      .select(...ATTENTION_COLUMNS, db.raw('count(*) over () as total'))
      .where({ merchant_id: merchantId, livemode, status })
      .orderBy('created_at', 'desc')
      .limit(ATTENTION_ROWS);
    if (olderThan) void q.where('updated_at', '<', olderThan);
    return (q as unknown as Promise<(AttentionRow & { total: string })[]>).then((rows) => ({
      rows: rows.map(({ total: _total, ...row }) => row),
      total: int(rows[0]?.total ?? null),
    }));
  };

  const [groups, statuses, needsReview, disputed, stuckProcessing] = await Promise.all([
    paid,
    byStatus,
    attention('needs_review'),
    attention('disputed'),
    attention('processing', new Date(now.getTime() - STUCK_PROCESSING_MS)),
  ]);

  const days = Array.from({ length: OVERVIEW_DAYS }, (_, i) => {
    const date = new Date(since.getTime() + i * DAY_MS);
    const day = date.toISOString().slice(0, 10);
    const totals = totalsOf(groups.filter((g) => g.day === day));
    return { day, date, payments: totals.payments, gross: totals.gross };
  });
  const from = (first: Date) => totalsOf(groups.filter((g) => g.day >= first.toISOString().slice(0, 10)));
  const counts = new Map(statuses.map((s) => [s.status, int(s.n)]));

  return {
    asOf: now,
    periods: {
      today: from(today),
      week: from(new Date(today.getTime() - 6 * DAY_MS)),
      month: from(since),
    },
    days,
    byStatus: INVOICE_STATUSES.filter((s) => counts.has(s)).map((status) => ({ status, count: counts.get(status)! })),
    attention: { needsReview, disputed, stuckProcessing },
  };
}
