import type { Knex } from 'knex';

/** The checkout language an invoice's buy link asks 2Checkout for (`language`); null: 2Checkout picks. */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('invoices', (t) => {
    t.text('language')
      .nullable()
      .comment(
        "Checkout language sent on the buy link (en, ru): the order link's buyer's Accept-Language or the API's language; null: none sent",
      );
  });
  await db.raw(`alter table invoices add constraint invoices_language_check check (language in ('en', 'ru'))`);
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('invoices', (t) => {
    t.dropColumn('language');
  });
}
