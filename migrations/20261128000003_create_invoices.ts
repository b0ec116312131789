import type { Knex } from 'knex';

/** The statuses of DESIGN.md §3, as of this migration. A test keeps the CHECK equal to the code's list. */
const STATUSES = [
  'awaiting_payment',
  'processing',
  'paid',
  'expired',
  'canceled',
  'failed',
  'refunded',
  'partially_refunded',
  'disputed',
  'charged_back',
  'needs_review',
];

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('invoices', (t) => {
    t.comment('One payment request; its status is written only by its Temporal workflow invoice-{id}.');
    t.text('id').primary().comment('Public id, e.g. inv_…; sent to 2Checkout as order-ext-ref, back as REFNOEXT');
    t.text('merchant_id').notNullable().references('merchants.id').onDelete('RESTRICT').comment('Owning merchant');
    t.text('product_id')
      .nullable()
      .references('products.id')
      .onDelete('RESTRICT')
      .comment('Product, when created from one');
    t.jsonb('items').notNullable().comment('Line items: [{ name, unitPriceMinor, quantity }]');
    t.bigInteger('amount_minor').notNullable().comment('Total to pay in minor units of currency');
    t.specificType('currency', 'char(3)').notNullable().comment('ISO 4217 code, upper case');
    t.text('status')
      .notNullable()
      .defaultTo('awaiting_payment')
      .checkIn(STATUSES, 'invoices_status_check')
      .comment('Lifecycle status (DESIGN.md §3)');
    t.text('status_reason').nullable().comment('Why the invoice is in its status, for people');
    t.boolean('late').notNullable().defaultTo(false).comment('Paid after expiry or cancel');
    t.bigInteger('refunded_minor').notNullable().defaultTo(0).comment('Amount refunded so far, in minor units');
    t.timestamp('expires_at', { useTz: true }).notNullable().comment('When the checkout link and the invoice expire');
    t.text('checkout_url').nullable().comment('Signed 2Checkout ConvertPlus buy link, created by the workflow');
    t.text('twocheckout_refno').nullable().comment('2Checkout order reference (REFNO) once an order exists');
    t.text('twocheckout_order_no').nullable().comment('2Checkout merchant order number (ORDERNO)');
    t.boolean('test_order').nullable().comment('Whether the 2Checkout order was a test order (TEST_ORDER=1)');
    t.text('customer_email').nullable().comment('Buyer e-mail, when the merchant gave it');
    t.text('external_id').nullable().comment("The merchant's own reference for this invoice");
    t.text('idempotency_key').nullable().comment('Idempotency-Key of the creating request');
    t.text('request_hash').nullable().comment('SHA-256 of the creating request body: same key, other body is refused');
    t.timestamp('paid_at', { useTz: true }).nullable().comment('When a verified payment marked it paid');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now()).comment('When it was created');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now()).comment('Last change');
    t.unique(['merchant_id', 'idempotency_key'], { indexName: 'invoices_merchant_idempotency_key' });
    t.index(['merchant_id', 'created_at', 'id'], 'invoices_merchant_created_idx');
    t.index(['merchant_id', 'status', 'created_at'], 'invoices_merchant_status_idx');
    t.index(['twocheckout_refno'], 'invoices_refno_idx');
    t.check('?? > 0', ['amount_minor'], 'invoices_amount_positive');
    t.check('?? >= 0 and ?? <= ??', ['refunded_minor', 'refunded_minor', 'amount_minor'], 'invoices_refunded_range');
    t.check("?? ~ '^[A-Z]{3}$'", ['currency'], 'invoices_currency_format');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('invoices');
}
