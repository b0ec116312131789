import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('merchants', (t) => {
    t.comment('Shops that take payments through 2Checkout. Secrets are sealed with AES-256-GCM (lib/secret-box.ts).');
    t.text('id').primary().comment('Public id, e.g. mer_…');
    t.text('name').notNullable().comment('Display name of the shop');
    t.text('api_key_hash')
      .notNullable()
      .unique()
      .comment('SHA-256 (hex) of the merchant API key; the key is shown once');
    t.text('api_key_prefix').notNullable().comment('First characters of the API key, to recognise it in the dashboard');
    t.text('twocheckout_merchant_code').notNullable().comment('2Checkout merchant code (VENDOR_CODE, REST auth code)');
    t.text('twocheckout_secret_key_sealed')
      .notNullable()
      .comment('Sealed 2Checkout Secret Key: IPN signatures, read receipts, REST authentication');
    t.text('twocheckout_buy_link_secret_word_sealed')
      .notNullable()
      .comment('Sealed 2Checkout Buy-link Secret Word: ConvertPlus link and return signatures');
    t.text('twocheckout_environment')
      .notNullable()
      .checkIn(['sandbox', 'live'], 'merchants_environment_check')
      .comment('live: 2Checkout itself; sandbox: the local 2Checkout sandbox');
    t.boolean('accept_test_orders')
      .notNullable()
      .defaultTo(false)
      .comment('Whether TEST_ORDER=1 payments may mark invoices paid (otherwise needs_review)');
    t.boolean('allow_md5_ipn')
      .notNullable()
      .defaultTo(false)
      .comment('Whether IPNs signed only with the legacy MD5 HASH are accepted');
    t.text('webhook_url').nullable().comment('Where status changes are POSTed to the shop; null: no webhooks');
    t.text('webhook_secret_sealed').nullable().comment('Sealed secret signing outbound webhooks (Webhook-Signature)');
    t.timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(db.fn.now())
      .comment('When the merchant was created');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now()).comment('Last settings change');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('merchants');
}
