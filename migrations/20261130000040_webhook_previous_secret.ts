import type { Knex } from 'knex';

/**
 * Webhook secret rotation with an overlap: the secret replaced is kept, sealed, until a chosen time, and every
 * webhook sent before then is signed with both (Webhook-Signature carries two `v1=`).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('merchants', (t) => {
    t.text('webhook_previous_secret_sealed')
      .nullable()
      .comment('The webhook signing secret before the last rotation, sealed; still signs until the time below');
    t.timestamp('webhook_previous_secret_expires_at', { useTz: true })
      .nullable()
      .comment('Until when the previous webhook secret also signs; null when there is none');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('merchants', (t) => {
    t.dropColumn('webhook_previous_secret_sealed');
    t.dropColumn('webhook_previous_secret_expires_at');
  });
}
