import type { Knex } from 'knex';

/** The merchant's own key-value pairs on a product (`metadata`), bounded by the API like Stripe's. */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('products', (t) => {
    t.jsonb('metadata')
      .notNullable()
      .defaultTo(db.raw("'{}'::jsonb"))
      .comment(
        "The merchant's own key-value pairs, string to string (at most 50 keys of 40 characters, values of 500), returned as given",
      );
  });
  await db.raw(
    `alter table products add constraint products_metadata_object check (jsonb_typeof(metadata) = 'object')`,
  );
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('products', (t) => {
    t.dropColumn('metadata');
  });
}
