import type { Knex } from 'knex';

/**
 * The merchant's own key-value pairs on an invoice (`metadata`), bounded by the API like Stripe's; returned in every
 * view of the invoice, webhook events included. An invoice made from a product's order link starts empty.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('invoices', (t) => {
    t.jsonb('metadata')
      .notNullable()
      .defaultTo(db.raw("'{}'::jsonb"))
      .comment(
        "The merchant's own key-value pairs, string to string (at most 50 keys of 40 characters, values of 500), set on creation; never copied from the product",
      );
  });
  await db.raw(
    `alter table invoices add constraint invoices_metadata_object check (jsonb_typeof(metadata) = 'object')`,
  );
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('invoices', (t) => {
    t.dropColumn('metadata');
  });
}
