import type { Knex } from 'knex';

/**
 * The audit of a merchant's 2Checkout settings (DESIGN.md §8): who changed which of them, when. Secrets are named,
 * never stored, not even sealed.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('merchant_settings_changes', (t) => {
    t.comment(
      'Changes of the 2Checkout credentials, environment, test orders and MD5 setting of merchants. Append-only.',
    );
    t.bigIncrements('id').comment('Order of changes');
    t.text('merchant_id').notNullable().references('merchants.id').onDelete('RESTRICT').comment('Merchant changed');
    t.text('actor_type')
      .notNullable()
      .checkIn(['admin', 'api_key', 'dashboard'], 'merchant_settings_changes_actor_type_check')
      .comment('Who: admin (ADMIN_TOKEN), api_key (a merchant API key), dashboard (a signed-in session)');
    t.text('actor').notNullable().comment('Which: "admin", or the first characters of the API key used');
    t.specificType('fields', 'text[]')
      .notNullable()
      .comment('Names of the settings changed, e.g. {environment,secretKey}');
    t.jsonb('changes')
      .notNullable()
      .comment('Per setting: {from, to} for plain values; {changed: true} for secrets, whose values are never kept');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now()).comment('When');
    t.index(['merchant_id', 'id'], 'merchant_settings_changes_merchant_idx');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('merchant_settings_changes');
}
