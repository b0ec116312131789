import type { Knex } from 'knex';
import type { InvoiceRow } from '../lib/invoice';
import type { InvoiceStatus } from '../workflows/shared';
import { HttpError } from './errors';

/** One page of a merchant's invoices, newest first: what `GET /v1/invoices` and the dashboard's list both ask. */
export interface InvoiceQuery {
  readonly status?: InvoiceStatus;
  /** Created at or after this instant. */
  readonly createdFrom?: Date;
  /** Created before this instant. */
  readonly createdBefore?: Date;
  readonly limit: number;
  /** A previous page's `nextCursor`. */
  readonly cursor?: string;
}

/**
 * A page of the merchant's invoices, newest first, and the cursor of the next page (null on the last). The cursor is
 * the last row's exact `created_at` (as PostgreSQL prints it, microseconds kept) and id, so a page never repeats or
 * skips a row however many invoices share a millisecond. A cursor not made here is a 400.
 */
export async function listInvoices(
  db: Knex,
  merchantId: string,
  q: InvoiceQuery,
): Promise<{ rows: InvoiceRow[]; nextCursor: string | null }> {
  const query = db<InvoiceRow & { cursor_at: string }>('invoices')
    .select('*', db.raw('created_at::text as cursor_at'))
    .where({ merchant_id: merchantId })
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(q.limit + 1);
  if (q.status !== undefined) void query.where('status', q.status);
  if (q.createdFrom !== undefined) void query.where('created_at', '>=', q.createdFrom);
  if (q.createdBefore !== undefined) void query.where('created_at', '<', q.createdBefore);
  if (q.cursor !== undefined) {
    const [at, id] = decodeCursor(q.cursor);
    void query.whereRaw('(created_at, id) < (?::timestamptz, ?)', [at, id]);
  }
  const rows = (await query) as (InvoiceRow & { cursor_at: string })[];
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    rows: page.map(({ cursor_at: _cursorAt, ...row }) => row),
    nextCursor: rows.length > q.limit && last ? encodeCursor(last.cursor_at, last.id) : null,
  };
}

/** PostgreSQL's text form of a timestamptz, e.g. `2026-11-29 00:20:59.309123+00`. */
const PG_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;

function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

/** Whether a PostgreSQL timestamp's date and time fields name a real instant (no 31 February, no hour 25). */
function isRealTimestamp(at: string): boolean {
  const [y, mo, d, h, mi, sec] = at.split(/[- :.+]/).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, sec));
  return (
    y >= 1970 &&
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === mo - 1 &&
    date.getUTCDate() === d &&
    date.getUTCHours() === h &&
    date.getUTCMinutes() === mi &&
    date.getUTCSeconds() === sec
  );
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // Both reach SQL as parameters; checking them turns a forged cursor into a 400, not a 500.
    if (Array.isArray(value) && value.length === 2) {
      const [at, id] = value as unknown[];
      if (
        typeof at === 'string' &&
        typeof id === 'string' &&
        id.length <= 100 &&
        !id.includes('\u0000') &&
        PG_TIMESTAMP.test(at) &&
        isRealTimestamp(at)
      )
        return [at, id];
    }
  } catch {
    // fall through
  }
  throw new HttpError(400, 'invalid_request', 'cursor is not one this API gave out');
}
