import type { Knex } from 'knex';

/**
 * The events announced to merchants (webhooks, GET /v1/events), each written once, in the transaction of the audit
 * row that causes it, and never changed: a resend sends the same bytes. Audit rows from before this table get their
 * event when first prepared for a webhook or a resend, and keep it from then on (lib/events.ts); there is no
 * backfill, because the invoice as it was at those moments is not kept anywhere.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('events', (t) => {
    t.comment('Events announced to merchants: one per status change, frozen when written. Append-only.');
    t.text('id').primary().comment('Public event id, evt_<audit row id>: the webhook-id of its deliveries');
    t.bigInteger('audit_event_id')
      .notNullable()
      .unique({ indexName: 'events_audit_event_unique' })
      .references('invoice_events.id')
      .onDelete('RESTRICT')
      .comment('The audit-trail row this event announces; also the order of events');
    t.text('merchant_id').notNullable().references('merchants.id').onDelete('RESTRICT').comment('Owning merchant');
    t.text('invoice_id').notNullable().references('invoices.id').onDelete('RESTRICT').comment('Invoice it is about');
    t.text('type').notNullable().comment('Event type, e.g. invoice.paid (lib/events.ts EVENT_TYPES)');
    t.text('api_version').notNullable().comment('API_VERSION when the event was made: the shape of its payload');
    t.boolean('livemode').notNullable().comment('Whether the invoice was live money at that moment (livemodeOf)');
    // json, not jsonb: json keeps the exact text, so every delivery sends (and signs) the same bytes
    t.json('payload').notNullable().comment('The envelope as sent, byte for byte: {id, type, createdAt, …, data}');
    t.timestamp('created_at', { useTz: true }).notNullable().comment('When the change happened (the audit row’s time)');
    t.index(['merchant_id', 'audit_event_id'], 'events_merchant_order_idx');
    t.index(['invoice_id', 'audit_event_id'], 'events_invoice_idx');
  });
  // invoice.paid at most once per invoice, ever: a second one is a bug, refused rather than sent
  await db.raw(`create unique index events_invoice_paid_once on events (invoice_id) where type = 'invoice.paid'`);
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('events');
}
