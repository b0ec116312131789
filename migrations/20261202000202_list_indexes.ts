import type { Knex } from 'knex';

/**
 * Indexes for the lists' keyset paging and filters (api/paging.ts): an invoice looked up by the merchant's own
 * reference (`GET /v1/invoices?externalId=`), already in page order; the IPN log and webhook deliveries, paged by id
 * within a merchant.
 */
export async function up(db: Knex): Promise<void> {
  await db.raw(
    'create index invoices_merchant_external_id_idx on invoices (merchant_id, external_id, created_at, id) where external_id is not null',
  );
  await db.raw('create index ipn_events_merchant_id_idx on ipn_events (merchant_id, id)');
  await db.raw('create index webhook_deliveries_merchant_id_idx on webhook_deliveries (merchant_id, id)');
}

export async function down(db: Knex): Promise<void> {
  await db.raw('drop index webhook_deliveries_merchant_id_idx');
  await db.raw('drop index ipn_events_merchant_id_idx');
  await db.raw('drop index invoices_merchant_external_id_idx');
}
