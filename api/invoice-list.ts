import type { Knex } from 'knex';
import type { InvoiceRow } from '../lib/invoice';
import type { ModeScope } from '../lib/merchants';
import type { InvoiceStatus } from '../workflows/shared';
import { CREATED_KEYS, paginate, type Page } from './paging';

/** One page of a merchant's invoices, newest first: what `GET /v1/invoices` and the dashboard's list both ask. */
export interface InvoiceQuery {
  /** Any of these statuses. */
  readonly statuses?: readonly InvoiceStatus[];
  /** Created at or after this instant. */
  readonly createdFrom?: Date;
  /** Created before this instant. */
  readonly createdBefore?: Date;
  /** The merchant's own reference, exactly. */
  readonly externalId?: string;
  readonly limit: number;
  /** A previous page's `nextCursor`. */
  readonly cursor?: string;
}

/**
 * A page of the merchant's invoices, newest first (api/paging.ts). Each filter has an index to use: status
 * (`invoices_merchant_status_idx`), creation time (`invoices_merchant_created_idx`), external id
 * (`invoices_merchant_external_id_idx`).
 */
export function listInvoices(db: Knex, scope: ModeScope, q: InvoiceQuery): Promise<Page<InvoiceRow>> {
  const query = db('invoices').select('invoices.*').where({ merchant_id: scope.merchant_id, livemode: scope.livemode });
  if (q.statuses !== undefined && q.statuses.length > 0) void query.whereIn('status', q.statuses);
  if (q.createdFrom !== undefined) void query.where('created_at', '>=', q.createdFrom);
  if (q.createdBefore !== undefined) void query.where('created_at', '<', q.createdBefore);
  if (q.externalId !== undefined) void query.where('external_id', q.externalId);
  return paginate<InvoiceRow>(db, query, CREATED_KEYS, q);
}
