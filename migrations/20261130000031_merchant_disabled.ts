import type { Knex } from 'knex';

/** The admin can disable a merchant: its API keys and dashboard are refused; its payments are still handled. */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('merchants', (t) => {
    t.timestamp('disabled_at', { useTz: true })
      .nullable()
      .comment(
        'Disabled by the admin from this time: API keys and dashboard refused, IPNs still handled; null: enabled',
      );
    t.text('disabled_reason').nullable().comment('Why, as the admin said (for ops; never shown to the merchant)');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('merchants', (t) => {
    t.dropColumn('disabled_at');
    t.dropColumn('disabled_reason');
  });
}
