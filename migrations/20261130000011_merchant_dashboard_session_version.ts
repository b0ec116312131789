import type { Knex } from 'knex';

/** Dashboard sessions can be revoked: the signed cookie carries this version, and signing out moves it on. */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('merchants', (t) => {
    t.integer('dashboard_session_version')
      .notNullable()
      .defaultTo(0)
      .comment('Version of the dashboard sessions: a session cookie of another version is refused; sign-out adds one');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('merchants', (t) => {
    t.dropColumn('dashboard_session_version');
  });
}
