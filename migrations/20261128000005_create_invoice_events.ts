import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('invoice_events', (t) => {
    t.comment('The audit trail: every change of an invoice, with its cause, in order. Append-only.');
    t.bigIncrements('id').comment('Order of events');
    t.text('invoice_id').notNullable().references('invoices.id').onDelete('RESTRICT').comment('Invoice');
    t.text('type').notNullable().comment('What happened: created, checkout_link_created, status_changed, …');
    t.text('from_status').nullable().comment('Status before, for status changes');
    t.text('to_status').nullable().comment('Status after, for status changes');
    t.text('cause').notNullable().comment('Why, for people: the IPN, the REST answer, the timer, the merchant');
    t.bigInteger('ipn_event_id')
      .nullable()
      .references('ipn_events.id')
      .onDelete('RESTRICT')
      .comment('IPN that caused it');
    t.jsonb('data').nullable().comment('Details (amounts, 2Checkout statuses, …)');
    t.text('dedup_key').nullable().comment('Makes a retried write land once');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now()).comment('When it happened');
    t.unique(['invoice_id', 'dedup_key'], { indexName: 'invoice_events_invoice_dedup_key' });
    t.index(['invoice_id', 'id'], 'invoice_events_invoice_idx');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('invoice_events');
}
