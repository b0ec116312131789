import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('ipn_events', (t) => {
    t.comment(
      'Every IPN POST from 2Checkout, stored before any answer: the commit point of a payment notification (DESIGN.md §4).',
    );
    t.bigIncrements('id').comment('Internal id');
    t.text('merchant_id')
      .notNullable()
      .references('merchants.id')
      .onDelete('RESTRICT')
      .comment('Merchant of the IPN URL');
    t.binary('raw_body').notNullable().comment('Request body bytes exactly as received; never re-serialised');
    t.jsonb('headers').notNullable().comment('Request headers as received');
    t.text('remote_addr').nullable().comment('Peer address of the request');
    t.text('verdict')
      .notNullable()
      .checkIn(
        ['verified', 'bad_signature', 'missing_signature', 'md5_not_allowed', 'malformed'],
        'ipn_events_verdict_check',
      )
      .comment('Signature verification result');
    t.text('algorithm')
      .nullable()
      .checkIn(['sha3-256', 'sha256', 'md5'], 'ipn_events_algorithm_check')
      .comment('Algorithm of the strongest signature present');
    t.text('dedup_key')
      .nullable()
      .comment('REFNO + ORDERSTATUS + IPN_DATE (verified IPNs only): one event per notification');
    t.text('refno').nullable().comment('REFNO: 2Checkout order reference');
    t.text('refnoext').nullable().comment('REFNOEXT: our invoice id as 2Checkout echoes it');
    t.text('order_status').nullable().comment('ORDERSTATUS');
    t.text('ipn_date').nullable().comment('IPN_DATE (YmdHis)');
    t.text('invoice_id')
      .nullable()
      .references('invoices.id')
      .onDelete('RESTRICT')
      .comment('Invoice it is about, if known');
    t.boolean('unknown_invoice')
      .notNullable()
      .defaultTo(false)
      .comment('Verified, but REFNOEXT matches no invoice of this merchant: flagged for ops, never creates one');
    t.text('delivery_state')
      .notNullable()
      .checkIn(['not_applicable', 'pending', 'delivered'], 'ipn_events_delivery_state_check')
      .comment(
        'pending: stored, not yet signalled to the workflow; delivered: signalled; not_applicable: nothing to deliver',
      );
    t.integer('delivery_attempts').notNullable().defaultTo(0).comment('Signal attempts so far');
    t.timestamp('delivered_at', { useTz: true }).nullable().comment('When the workflow accepted the signal');
    t.text('outcome').nullable().comment('What the workflow did with it (applied, duplicate, ignored, …)');
    t.timestamp('outcome_at', { useTz: true }).nullable().comment('When the outcome was recorded');
    t.integer('duplicate_count').notNullable().defaultTo(0).comment('Further deliveries of the same notification');
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(db.fn.now()).comment('First received');
    t.timestamp('last_received_at', { useTz: true }).notNullable().defaultTo(db.fn.now()).comment('Last received');
    t.unique(['merchant_id', 'dedup_key'], { indexName: 'ipn_events_merchant_dedup_key' });
    t.index(['merchant_id', 'received_at'], 'ipn_events_merchant_received_idx');
    t.index(['invoice_id'], 'ipn_events_invoice_idx');
  });
  // The relay scans only what is still to be delivered.
  await db.raw("create index ipn_events_pending_idx on ipn_events (received_at) where delivery_state = 'pending'");
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('ipn_events');
}
