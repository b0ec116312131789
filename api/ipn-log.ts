import type { Knex } from 'knex';
import type { IpnEventRow } from './ipn';

/** An IPN without its raw body and headers: what the IPN log and an invoice's timeline show. */
export type IpnSummaryRow = Omit<IpnEventRow, 'raw_body' | 'headers'>;

export const IPN_SUMMARY_COLUMNS = [
  'id',
  'merchant_id',
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
 * A page of the merchant's IPN log, newest first: every attempt, rejected ones and those naming no invoice included.
 * `before` is the smallest id of the previous page; `older` is where the next page starts, if there is one.
 */
export async function listIpnEvents(
  db: Knex,
  merchantId: string,
  q: { before?: number; limit: number },
): Promise<{ rows: IpnSummaryRow[]; older: number | null }> {
  const query = db('ipn_events')
    .select(...IPN_SUMMARY_COLUMNS)
    .where({ merchant_id: merchantId })
    .orderBy('id', 'desc')
    .limit(q.limit + 1);
  if (q.before !== undefined) void query.where('id', '<', q.before);
  const rows = (await query) as IpnSummaryRow[];
  const page = rows.slice(0, q.limit);
  return { rows: page, older: rows.length > q.limit ? page[page.length - 1]!.id : null };
}
