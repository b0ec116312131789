import type { Knex } from 'knex';

/**
 * What 2Checkout keeps and pays out on a paid invoice, as the verified IPN of its order states it (IPN_COMMISSION,
 * PAYABLE_AMOUNT, PAYOUT_CURRENCY, FX_RATE). Informational: no status depends on them. Null until a verified IPN that
 * states them is stored; invoices paid before this migration keep null.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('invoices', (t) => {
    t.bigInteger('fee_minor')
      .nullable()
      .comment("2Checkout's fee (IPN_COMMISSION) in minor units of fee_currency, rounded half away from zero");
    t.specificType('fee_currency', 'char(3)').nullable().comment('Currency of fee_minor: the order currency');
    t.bigInteger('payout_minor')
      .nullable()
      .comment('What 2Checkout pays the merchant for the order (PAYABLE_AMOUNT), minor units; may be negative');
    t.specificType('payout_currency', 'char(3)').nullable().comment('Currency of payout_minor (PAYOUT_CURRENCY)');
    t.text('fx_rate').nullable().comment('FX_RATE as 2Checkout wrote it: order currency → payout currency');
    t.bigInteger('fees_ipn_event_id')
      .nullable()
      .references('ipn_events.id')
      .onDelete('RESTRICT')
      .comment('The verified stored IPN the fee and payout were read from');
  });
  await db.raw(`
    alter table invoices
      add constraint invoices_fee_currency_format check (fee_currency ~ '^[A-Z]{3}$'),
      add constraint invoices_payout_currency_format check (payout_currency ~ '^[A-Z]{3}$')`);
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('invoices', (t) => {
    t.dropChecks(['invoices_fee_currency_format', 'invoices_payout_currency_format']);
    t.dropColumn('fee_minor');
    t.dropColumn('fee_currency');
    t.dropColumn('payout_minor');
    t.dropColumn('payout_currency');
    t.dropColumn('fx_rate');
    t.dropColumn('fees_ipn_event_id');
  });
}
