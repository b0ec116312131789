import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('webhook_deliveries', (t) => {
    t.comment('Signed POSTs of invoice events to the webhookUrl of the merchant, one row per attempt.');
    t.bigIncrements('id').comment('Internal id');
    t.text('merchant_id').notNullable().references('merchants.id').onDelete('RESTRICT').comment('Receiving merchant');
    t.text('invoice_id')
      .notNullable()
      .references('invoices.id')
      .onDelete('RESTRICT')
      .comment('Invoice the event is about');
    t.text('event_id').notNullable().comment('Event id sent to the merchant (stable across attempts)');
    t.text('event_type').notNullable().comment('Event type, e.g. invoice.paid');
    t.jsonb('payload').notNullable().comment('Event body as sent');
    t.text('url').notNullable().comment('URL of this attempt');
    t.integer('attempt').notNullable().comment('1 for the first attempt');
    t.text('state')
      .notNullable()
      .checkIn(['pending', 'succeeded', 'failed'], 'webhook_deliveries_state_check')
      .comment('pending: in flight; succeeded: 2xx; failed: error or non-2xx');
    t.integer('response_status').nullable().comment('HTTP status of the response');
    t.text('response_excerpt').nullable().comment('First bytes of the response body');
    t.text('error').nullable().comment('Network error, when there was no response');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now()).comment('When the attempt started');
    t.timestamp('completed_at', { useTz: true }).nullable().comment('When it finished');
    t.unique(['event_id', 'attempt'], { indexName: 'webhook_deliveries_event_attempt' });
    t.index(['merchant_id', 'created_at'], 'webhook_deliveries_merchant_created_idx');
    t.index(['invoice_id'], 'webhook_deliveries_invoice_idx');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('webhook_deliveries');
}
