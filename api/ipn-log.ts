import type { Knex } from 'knex';
import type { ModeScope } from '../lib/merchants';
import type { IpnEventRow } from './ipn';
import { paginate, SERIAL_KEYS, type Page } from './paging';

/** An IPN without its raw body and headers: what the IPN log and an invoice's timeline show. */
export type IpnSummaryRow = Omit<IpnEventRow, 'raw_body' | 'headers'>;

export const IPN_SUMMARY_COLUMNS = [
  'id',
  'merchant_id',
  'livemode',
  'remote_addr',
  'verdict',
  'algorithm',
  'dedup_key',
  'refno',
  'refnoext',
  'order_status',
  'ipn_date',
  'invoice_id',
  'unknown_invoice',
  'delivery_state',
  'delivery_attempts',
  'delivered_at',
  'outcome',
  'outcome_at',
  'duplicate_count',
  'received_at',
  'last_received_at',
] as const satisfies readonly (keyof IpnSummaryRow)[];

/**
 * A page of the merchant's IPN log, newest first (api/paging.ts): every attempt, rejected ones and those naming no
 * invoice included; `since` keeps those received at or after it.
 */
export function listIpnEvents(
  db: Knex,
  scope: ModeScope,
  q: { since?: Date | undefined; limit: number; cursor?: string | undefined },
): Promise<Page<IpnSummaryRow>> {
  const query = db('ipn_events')
    .select(...IPN_SUMMARY_COLUMNS)
    .where({ merchant_id: scope.merchant_id, livemode: scope.livemode });
  if (q.since !== undefined) void query.where('received_at', '>=', q.since);
  return paginate<IpnSummaryRow>(db, query, SERIAL_KEYS, q);
}
