import type { Knex } from 'knex';
import { z } from 'zod';
import { HttpError } from './errors';

/**
 * One way to page every list of the API: `?limit=&cursor=` in, `{ data, hasMore, nextCursor }` out, newest first.
 * Keyset paging: the cursor holds the sort key of the last row shown, so rows inserted between two pages are never
 * shown twice and never push an older row out of sight (a plain OFFSET would do both).
 *
 * To add a list: `listQuery({ ...filters })` validates the query string, `pageOf(itemSchema, 'ThingList')` describes
 * the answer in OpenAPI, and `paginate(db, query, KEYS, q)` runs the query with its filters already applied.
 */

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

/** The query parameters every list takes; a limit out of 1–100 is a 400, never silently clamped. */
export const pageParams = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(DEFAULT_LIMIT)
    .meta({ description: `How many items, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT}); out of range is a 400` }),
  cursor: z
    .string()
    .max(500)
    .optional()
    .meta({ description: 'The `nextCursor` of the previous page, as given (opaque); a cursor not given out is a 400' }),
};

/** A list's query schema: its own filters and the paging parameters; unknown parameters are a 400. */
export const listQuery = <S extends z.ZodRawShape>(filters: S) => z.strictObject({ ...filters, ...pageParams });

/** A page of `item` in OpenAPI (`id` names the component, e.g. `InvoiceList`). */
export const pageOf = <T extends z.ZodType>(item: T, id: string, description?: string) =>
  z
    .object({
      data: z.array(item).meta({ description: 'This page, newest first' }),
      hasMore: z.boolean().meta({ description: 'Whether more items follow this page' }),
      nextCursor: z
        .string()
        .nullable()
        .meta({ description: 'Pass as `cursor` for the next page; null when `hasMore` is false' }),
    })
    .meta({ id, ...(description !== undefined && { description }) });

/** One column of a list's sort key (newest first), with the type its cursor value is checked and cast as. */
export interface PageKey {
  /** As in SQL, qualified if the query joins: `created_at`, `invoice_events.id`. */
  readonly column: string;
  readonly type: 'timestamptz' | 'text' | 'bigint';
}

/** By creation time, ties broken by id: for tables whose ids are random (`inv_…`, `prd_…`). */
export const CREATED_KEYS: readonly PageKey[] = [
  { column: 'created_at', type: 'timestamptz' },
  { column: 'id', type: 'text' },
];
/** By a bigserial id, which grows with insertion. */
export const SERIAL_KEYS: readonly PageKey[] = [{ column: 'id', type: 'bigint' }];

export interface Page<Row> {
  rows: Row[];
  hasMore: boolean;
  nextCursor: string | null;
}

/**
 * Runs `query` (its columns selected, its filters applied; the sort and limit are added here) for one page. The sort
 * key must be unique (end it with the id) and is read back as PostgreSQL prints it, so a timestamp keeps its
 * microseconds and a page never repeats or skips a row however many share a millisecond.
 */
export async function paginate<Row extends object>(
  db: Knex,
  query: Knex.QueryBuilder,
  keys: readonly PageKey[],
  q: { limit: number; cursor?: string | undefined },
): Promise<Page<Row>> {
  const alias = (i: number) => `page_key_${i}`;
  void query
    .select(keys.map((k, i) => db.raw('??::text as ??', [k.column, alias(i)])))
    .orderBy(keys.map((k) => ({ column: k.column, order: 'desc' as const })))
    .limit(q.limit + 1);
  if (q.cursor !== undefined) {
    const values = decodeCursor(q.cursor, keys);
    void query.whereRaw(`(${keys.map(() => '??').join(', ')}) < (${keys.map((k) => `?::${k.type}`).join(', ')})`, [
      ...keys.map((k) => k.column),
      ...values,
    ]);
  }
  const rows = (await query) as (Row & Record<string, string>)[];
  const hasMore = rows.length > q.limit;
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const strip = (row: Row & Record<string, string>): Row => {
    const copy: Record<string, unknown> = { ...row };
    keys.forEach((_k, i) => delete copy[alias(i)]);
    return copy as Row;
  };
  return {
    rows: page.map(strip),
    hasMore,
    nextCursor: hasMore && last ? encodeCursor(keys.map((_k, i) => last[alias(i)]!)) : null,
  };
}

/** A page as the API answers it. */
export const pageView = <Row, View>(page: Page<Row>, view: (row: Row) => View) => ({
  data: page.rows.map(view),
  hasMore: page.hasMore,
  nextCursor: page.nextCursor,
});

function encodeCursor(values: string[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** PostgreSQL's text form of a timestamptz, e.g. `2026-11-29 00:20:59.309123+00`. */
const PG_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;

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

const validValue: Record<PageKey['type'], (v: string) => boolean> = {
  timestamptz: (v) => PG_TIMESTAMP.test(v) && isRealTimestamp(v),
  text: (v) => v.length <= 100 && !v.includes('\u0000'),
  // within bigint, and exact as a JavaScript number
  bigint: (v) => /^\d{1,15}$/.test(v),
};

/** The cursor's values, each checked for its column: they reach SQL as parameters, and a forged one must be a 400. */
function decodeCursor(cursor: string, keys: readonly PageKey[]): string[] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === keys.length &&
      value.every((v, i) => typeof v === 'string' && validValue[keys[i]!.type](v))
    )
      return value as string[];
  } catch {
    // fall through
  }
  throw new HttpError(400, 'invalid_request', 'cursor: not one this API gave out for this list');
}
