import type { Knex } from 'knex';

/**
 * Each invoice records the 2Checkout account it was created under (DESIGN.md §8), and is verified against that one
 * only: a merchant's API key can change the merchant's settings, not where its existing invoices are verified.
 * Existing invoices take their merchant's settings of today.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('invoices', (t) => {
    t.text('twocheckout_environment')
      .nullable()
      .checkIn(['sandbox', 'live'], 'invoices_twocheckout_environment_check')
      .comment('2Checkout environment the invoice was created under and is verified against: live or sandbox');
    t.text('twocheckout_merchant_code')
      .nullable()
      .comment('2Checkout merchant code the invoice was created under and is verified against');
  });
  await db.raw(`
    update invoices i
       set twocheckout_environment = m.twocheckout_environment, twocheckout_merchant_code = m.twocheckout_merchant_code
      from merchants m
     where m.id = i.merchant_id`);
  await db.raw(`
    alter table invoices
      alter column twocheckout_environment set not null,
      alter column twocheckout_merchant_code set not null`);
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('invoices', (t) => {
    t.dropColumn('twocheckout_environment');
    t.dropColumn('twocheckout_merchant_code');
  });
}
