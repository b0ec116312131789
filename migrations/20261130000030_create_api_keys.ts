import type { Knex } from 'knex';

/**
 * API keys in a table of their own, so a merchant can have a new one before the old one stops (rotation with an
 * overlap), revoke one at once, and see when each was last used. Each merchant's one key moves here, unchanged:
 * integrations keep working.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('api_keys', (t) => {
    t.comment('Merchant API keys (Authorization: Bearer sk_…): only their SHA-256 is kept, the key is shown once.');
    t.text('id').primary().comment('Public id, e.g. key_…; names the key in the API and the logs');
    t.text('merchant_id').notNullable().references('merchants.id').onDelete('RESTRICT').comment('Owning merchant');
    t.text('key_hash').notNullable().unique().comment('SHA-256 (hex) of the key: how a presented key is found');
    t.text('prefix').notNullable().comment('First characters of the key, to recognise it');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now()).comment('When it was made');
    t.timestamp('expires_at', { useTz: true })
      .nullable()
      .comment('Refused from this time on (set when the key is rotated away); null: no expiry');
    t.timestamp('revoked_at', { useTz: true })
      .nullable()
      .comment('Refused from this time on, at once; null: not revoked');
    t.timestamp('last_used_at', { useTz: true })
      .nullable()
      .comment('Last accepted use, to the minute (written at most once a minute); null: never used');
    t.index(['merchant_id', 'created_at'], 'api_keys_merchant_created_idx');
  });
  await db.raw(`
    insert into api_keys (id, merchant_id, key_hash, prefix, created_at)
    select 'key_' || substr(md5(gen_random_uuid()::text), 1, 20), id, api_key_hash, api_key_prefix, created_at
      from merchants`);
  await db.schema.alterTable('merchants', (t) => {
    t.dropColumn('api_key_hash');
    t.dropColumn('api_key_prefix');
  });
}

/**
 * Back to one key per merchant: its newest working key (one without an expiry first), so it keeps working. A merchant
 * with no working key gets a hash no key has: a revoked key never comes back.
 */
export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('merchants', (t) => {
    t.text('api_key_hash').nullable().comment('SHA-256 (hex) of the merchant API key; the key is shown once');
    t.text('api_key_prefix').nullable().comment('First characters of the API key, to recognise it in the dashboard');
  });
  await db.raw(`
    update merchants m set api_key_hash = k.key_hash, api_key_prefix = k.prefix
      from (select distinct on (merchant_id) merchant_id, key_hash, prefix
              from api_keys
             where revoked_at is null and (expires_at is null or expires_at > now())
             order by merchant_id, expires_at desc nulls first, created_at desc) k
     where k.merchant_id = m.id`);
  await db.raw(`
    update merchants set api_key_hash = 'none:' || gen_random_uuid(), api_key_prefix = ''
     where api_key_hash is null`);
  await db.raw(`
    alter table merchants
      alter column api_key_hash set not null,
      alter column api_key_prefix set not null,
      add constraint merchants_api_key_hash_unique unique (api_key_hash)`);
  await db.schema.dropTable('api_keys');
}
