import type { Knex } from 'knex';

const LEGACY_COMMENTS = {
  invoices: {
    idempotency_key: 'Idempotency-Key of the creating request',
    request_hash: 'SHA-256 of the creating request body: same key, other body is refused',
  },
  refunds: {
    idempotency_key: 'Idempotency-Key of the request that asked for it',
    request_hash: 'SHA-256 of that request: the same key with another body is refused',
  },
} as const;
const LEGACY = 'Written before migration 20261202000300 only (now idempotency_keys); kept for the rows made then';
/** COMMENT takes a literal, not a bind parameter; these are constants of this file. */
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * Idempotency keys of `POST /v1/invoices` and `POST /v1/invoices/{id}/refunds` (api/idempotency.ts, as the IETF
 * draft "The Idempotency-Key HTTP Header Field" says): each key with the request it was first used for and that
 * request's answer, kept for a stated time, so a replay answers exactly what the first request answered. The
 * invoices' and refunds' own key columns are no longer written.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('idempotency_keys', (t) => {
    t.comment(
      'Idempotency-Key of a merchant request, with the first answer to it: replays answer that; kept until expires_at',
    );
    t.text('merchant_id').notNullable().references('merchants.id').onDelete('CASCADE').comment('Owning merchant');
    t.text('key').notNullable().comment('The Idempotency-Key header as sent (unique per merchant)');
    t.text('fingerprint')
      .notNullable()
      .comment('SHA-256 of method, path and canonical JSON body: the same key with another request is refused (422)');
    t.text('state').notNullable().comment('in_flight (the first request is running, or failed after a commit), done');
    t.text('resource_id')
      .nullable()
      .comment(
        'The invoice or refund the request recorded, set in its transaction: a retry after a failure completes it',
      );
    t.text('lock_token').nullable().comment('Which request holds the key while in_flight');
    t.timestamp('locked_until', { useTz: true })
      .nullable()
      .comment(
        'While in_flight: until then another request with the key gets 409; after it (a crash) a retry takes over',
      );
    t.integer('response_status').nullable().comment('When done: the HTTP status of the first answer');
    t.text('response_body').nullable().comment('When done: the exact body of the first answer (JSON text)');
    t.timestamp('created_at', { useTz: true }).notNullable().comment('When the key was first used');
    t.timestamp('expires_at', { useTz: true })
      .notNullable()
      .comment('From then on the key is forgotten and may be used again (created_at + the stated retention)');
    t.primary(['merchant_id', 'key'], { constraintName: 'idempotency_keys_pkey' });
    // the hourly purge finds expired keys
    t.index(['expires_at'], 'idempotency_keys_expires_idx');
  });
  await db.raw(
    `alter table idempotency_keys add constraint idempotency_keys_state_check check (state in ('in_flight', 'done'))`,
  );
  await db.raw(
    `alter table idempotency_keys add constraint idempotency_keys_done_has_response
       check (state <> 'done' or (response_status is not null and response_body is not null))`,
  );
  for (const [table, columns] of Object.entries(LEGACY_COMMENTS)) {
    for (const column of Object.keys(columns)) {
      await db.raw(`comment on column ??.?? is ${literal(LEGACY)}`, [table, column]);
    }
  }
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('idempotency_keys');
  for (const [table, columns] of Object.entries(LEGACY_COMMENTS)) {
    for (const [column, comment] of Object.entries(columns)) {
      await db.raw(`comment on column ??.?? is ${literal(comment)}`, [table, column]);
    }
  }
}
