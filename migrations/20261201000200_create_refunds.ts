import type { Knex } from 'knex';

/** Refund statuses; the CHECK below and lib/refunds.ts's list are the same (a migration test compares them). */
const STATUSES = ['requested', 'pending', 'succeeded', 'failed', 'needs_review'];

/**
 * Refunds: each one the merchant asks for (API or dashboard) and each one 2Checkout reports, so the invoice lists
 * them all. The invoice's own status and refunded total still change only by 2Checkout's refund notification.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('refunds', (t) => {
    t.comment('Refunds of an invoice: asked for by the merchant and sent to 2Checkout, or reported by 2Checkout.');
    t.text('id').primary().comment('Public id, e.g. rf_…');
    t.text('invoice_id').notNullable().references('invoices.id').onDelete('RESTRICT').comment('Refunded invoice');
    t.text('merchant_id').notNullable().references('merchants.id').onDelete('RESTRICT').comment('Owning merchant');
    t.bigInteger('amount_minor').notNullable().comment('Amount refunded, in minor units of the invoice currency');
    t.text('currency').notNullable().comment('The invoice currency (ISO 4217)');
    t.text('reason').nullable().comment("The merchant's reason, sent to 2Checkout as the refund comment");
    t.text('status')
      .notNullable()
      .comment(
        'requested (not yet accepted by 2Checkout), pending (accepted, awaiting its notification), succeeded, failed (refused), needs_review (unknown whether 2Checkout took it)',
      );
    t.text('status_reason').nullable().comment("Why it is in its status, for people: 2Checkout's refusal, …");
    t.text('source').notNullable().comment('api, dashboard, or twocheckout (made in 2Checkout, reported by IPN)');
    t.text('idempotency_key').nullable().comment('Idempotency-Key of the request that asked for it');
    t.text('request_hash').nullable().comment('SHA-256 of that request: the same key with another body is refused');
    t.bigInteger('ipn_event_id')
      .nullable()
      .references('ipn_events.id')
      .onDelete('RESTRICT')
      .comment("2Checkout's refund notification that confirmed it");
    t.text('refund_key').nullable().comment("2Checkout's refund notification, by order and MESSAGE_ID: counted once");
    t.bigInteger('fee_minor').nullable().comment('Commission on the refund as 2Checkout reported it (minor units)');
    t.text('fee_currency').nullable().comment('Currency of fee_minor');
    t.bigInteger('payout_minor').nullable().comment('Change of the payout as 2Checkout reported it (minor units)');
    t.text('payout_currency').nullable().comment('Currency of payout_minor');
    t.bigInteger('sent_amount_minor')
      .nullable()
      .comment('What 2Checkout was asked to refund (minor units, with the tax it added): a full refund is GrossPrice');
    t.timestamp('send_started_at', { useTz: true })
      .nullable()
      .comment('Set, in its own transaction, just before the request leaves: a retry after a crash never resends');
    t.timestamp('sent_at', { useTz: true }).nullable().comment('When 2Checkout accepted the request');
    t.timestamp('settled_at', { useTz: true }).nullable().comment('When it succeeded or failed');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now()).comment('When it was asked for');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now()).comment('Last change');
    t.unique(['merchant_id', 'idempotency_key'], { indexName: 'refunds_merchant_idempotency_key' });
    t.unique(['invoice_id', 'refund_key'], { indexName: 'refunds_invoice_refund_key' });
    t.index(['invoice_id', 'created_at'], 'refunds_invoice_idx');
  });
  await db.raw(
    `alter table refunds add constraint refunds_status_check check (status in (${STATUSES.map((s) => `'${s}'`).join(', ')}))`,
  );
  await db.raw(`alter table refunds add constraint refunds_amount_positive check (amount_minor > 0)`);
  // the janitor finds requests not yet accepted by 2Checkout
  await db.raw(`create index refunds_requested_idx on refunds (created_at) where status = 'requested'`);
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('refunds');
}
