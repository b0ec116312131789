import type { Knex } from 'knex';

/** The dashboard's overview sums a merchant's payments of the last 30 days by `paid_at` (api/overview.ts). */
export async function up(db: Knex): Promise<void> {
  await db.raw('create index invoices_merchant_paid_idx on invoices (merchant_id, paid_at) where paid_at is not null');
}

export async function down(db: Knex): Promise<void> {
  await db.raw('drop index invoices_merchant_paid_idx');
}
