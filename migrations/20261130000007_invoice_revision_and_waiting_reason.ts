import type { Knex } from 'knex';

/**
 * The invoice workflow's shape of DESIGN.md §7: one activity per event, whose answers the workflow orders by the
 * invoice's revision; and a reason kept while 2Checkout is asked again, read by the API from here alone.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('invoices', (t) => {
    t.integer('revision')
      .notNullable()
      .defaultTo(0)
      .comment('Status changes so far: of two answers about the invoice, the later has the higher revision');
    t.text('waiting_reason')
      .nullable()
      .comment('While 2Checkout is asked again: what failed, which attempt, when the next is; null otherwise');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('invoices', (t) => {
    t.dropColumn('revision');
    t.dropColumn('waiting_reason');
  });
}
