import type { Knex } from 'knex';

/**
 * The Idempotency-Keys of invoices and refunds made in the 24 hours before idempotency_keys existed, so that a retry
 * spanning the deploy finishes the invoice or refund its key made instead of making a second one. Their first answer
 * was never stored and their request hash was computed differently: they are kept `in_flight` with the resource
 * recorded and no lease, under a fingerprint naming only method and path (api/idempotency.ts LEGACY_FINGERPRINT), so
 * the retry takes the key over and answers that invoice or refund as it is now, as the API did before.
 */
export async function up(db: Knex): Promise<void> {
  const since = "now() - interval '24 hours'";
  await db.raw(`
    insert into idempotency_keys
      (merchant_id, livemode, key, fingerprint, state, resource_id, created_at, expires_at)
    select merchant_id, livemode, idempotency_key, 'legacy POST /v1/invoices', 'in_flight', id,
           created_at, created_at + interval '24 hours'
      from invoices
     where idempotency_key is not null and created_at > ${since}
    on conflict do nothing`);
  await db.raw(`
    insert into idempotency_keys
      (merchant_id, livemode, key, fingerprint, state, resource_id, created_at, expires_at)
    select merchant_id, livemode, idempotency_key, 'legacy POST /v1/invoices/' || invoice_id || '/refunds',
           'in_flight', id, created_at, created_at + interval '24 hours'
      from refunds
     where idempotency_key is not null and created_at > ${since}
    on conflict do nothing`);
}

export async function down(db: Knex): Promise<void> {
  await db('idempotency_keys').where('fingerprint', 'like', 'legacy %').delete();
}
