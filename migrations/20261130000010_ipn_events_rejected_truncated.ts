import type { Knex } from 'knex';

/**
 * A rejected IPN attempt (bad signature, malformed) is kept small: a SHA-256 of the whole body and its first 4 KiB,
 * and purged after REJECTED_IPN_RETENTION_DAYS. Verified IPNs are kept whole and never purged.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('ipn_events', (t) => {
    t.text('raw_body_sha256')
      .nullable()
      .comment(
        'Rejected attempts: SHA-256 (hex) of the whole body as received, of which raw_body keeps the first 4 KiB',
      );
    t.integer('raw_body_bytes').nullable().comment('Rejected attempts: size of the whole body as received, in bytes');
  });
  await db.raw(
    "comment on column ipn_events.raw_body is 'Request body bytes exactly as received, never re-serialised; a rejected attempt keeps only its first 4 KiB'",
  );
  // The purge finds old rejected attempts without reading the verified IPNs.
  await db.raw("create index ipn_events_rejected_received_idx on ipn_events (received_at) where verdict <> 'verified'");
}

export async function down(db: Knex): Promise<void> {
  await db.raw('drop index ipn_events_rejected_received_idx');
  await db.raw(
    "comment on column ipn_events.raw_body is 'Request body bytes exactly as received; never re-serialised'",
  );
  await db.schema.alterTable('ipn_events', (t) => {
    t.dropColumn('raw_body_sha256');
    t.dropColumn('raw_body_bytes');
  });
}
