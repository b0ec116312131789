import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('products', (t) => {
    t.comment('What a merchant sells; each product has a public order link that creates an invoice.');
    t.text('id').primary().comment('Public id, e.g. prd_…; part of the public order link');
    t.text('merchant_id').notNullable().references('merchants.id').onDelete('RESTRICT').comment('Owning merchant');
    t.text('name').notNullable().comment('Product name shown on the checkout');
    t.bigInteger('price_minor').notNullable().comment('Unit price in minor units of currency (5000 = 50.00 RUB)');
    t.specificType('currency', 'char(3)').notNullable().comment('ISO 4217 code, upper case');
    t.boolean('active').notNullable().defaultTo(true).comment('Whether the public order link still sells it');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now()).comment('When it was created');
    t.index(['merchant_id', 'created_at'], 'products_merchant_created_idx');
    t.check('?? > 0', ['price_minor'], 'products_price_positive');
    t.check("?? ~ '^[A-Z]{3}$'", ['currency'], 'products_currency_format');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('products');
}
