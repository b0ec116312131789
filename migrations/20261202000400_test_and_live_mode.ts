import type { Knex } from 'knex';

/** Tables whose rows belong to one mode, with the list index each gets led by (merchant_id, livemode). */
const MODE_TABLES = ['api_keys', 'products', 'invoices', 'refunds', 'ipn_events', 'webhook_deliveries'] as const;

const COMMENT: Record<(typeof MODE_TABLES)[number], string> = {
  api_keys: 'Mode of the key (sk_live_… / sk_test_…): it sees and makes only rows of this mode',
  products: 'Whether the product is sold in live mode (true) or test mode (false): seen by keys of that mode only',
  invoices:
    'Live money (true) or test mode (false): the 2Checkout setup of this mode made its link and verifies its payments',
  refunds: "The invoice's mode",
  ipn_events:
    'The mode of the invoice it names; for no invoice, live when the merchant is live and it is no test order',
  webhook_deliveries: "The invoice's mode",
};

/** Indexes replaced by ones led by (merchant_id, livemode): [name, columns before, columns after, where]. */
const INDEXES: [string, string, string, string][] = [
  ['api_keys_merchant_created_idx', 'api_keys', 'merchant_id, created_at', ''],
  ['products_merchant_created_idx', 'products', 'merchant_id, created_at', ''],
  ['invoices_merchant_created_idx', 'invoices', 'merchant_id, created_at, id', ''],
  ['invoices_merchant_status_idx', 'invoices', 'merchant_id, status, created_at', ''],
  ['invoices_merchant_paid_idx', 'invoices', 'merchant_id, paid_at', 'where paid_at is not null'],
  ['ipn_events_merchant_received_idx', 'ipn_events', 'merchant_id, received_at', ''],
  ['webhook_deliveries_merchant_created_idx', 'webhook_deliveries', 'merchant_id, created_at', ''],
  [
    'invoices_merchant_external_id_idx',
    'invoices',
    'merchant_id, external_id, created_at, id',
    'where external_id is not null',
  ],
  ['ipn_events_merchant_id_idx', 'ipn_events', 'merchant_id, id', ''],
  ['webhook_deliveries_merchant_id_idx', 'webhook_deliveries', 'merchant_id, id', ''],
  ['events_merchant_order_idx', 'events', 'merchant_id, audit_event_id', ''],
];

/**
 * Test and live mode, as Stripe has them. Each merchant keeps two 2Checkout setups: the test setup in the columns it
 * had (the local sandbox, or 2Checkout itself where every order is a test order, `test=1`), and a live setup in new
 * `live_` columns (2Checkout, real orders; null until the merchant goes live). Keys, products, invoices, refunds, IPNs
 * and webhook deliveries each belong to one mode.
 *
 * What exists is placed by what it already says: a merchant on 2Checkout taking no test orders was live, so its keys
 * and products are live (its integration keeps working on live money), and its live setup is its 2Checkout account
 * (the secrets stay where they are: `live_` secrets null mean "the test setup's", the same account, as 2Checkout runs
 * test orders through the live account); its test setup is that account with test orders. Every other merchant (the
 * sandbox, or test orders accepted) was testing: its keys and products are test ones, and it is not live yet. An
 * invoice is live when made for 2Checkout itself and not paid by (or, unpaid, made with links for) a test order.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('merchants', (t) => {
    t.text('live_twocheckout_merchant_code')
      .nullable()
      .comment('Live setup: 2Checkout merchant code for real orders; null: not live yet (live keys make no invoices)');
    t.text('live_twocheckout_secret_key_sealed')
      .nullable()
      .comment("Live setup: sealed Secret Key; null while live: the test setup's (the same 2Checkout account)");
    t.text('live_twocheckout_buy_link_secret_word_sealed')
      .nullable()
      .comment("Live setup: sealed Buy-link Secret Word; null while live: the test setup's (the same account)");
    t.boolean('live_allow_md5_ipn')
      .notNullable()
      .defaultTo(false)
      .comment('Live setup: whether IPNs signed only with the legacy MD5 HASH are accepted');
  });
  for (const [column, comment] of Object.entries({
    twocheckout_merchant_code: 'Test setup: 2Checkout merchant code (VENDOR_CODE, REST auth code)',
    twocheckout_secret_key_sealed: 'Test setup: sealed Secret Key (IPN signatures, read receipts, REST authentication)',
    twocheckout_buy_link_secret_word_sealed: 'Test setup: sealed Buy-link Secret Word (ConvertPlus link signatures)',
    twocheckout_environment: 'Test setup: sandbox (the local 2Checkout sandbox) or live (2Checkout, test orders only)',
    accept_test_orders: 'Test setup: whether TEST_ORDER=1 payments may pay (always true on 2Checkout itself)',
    allow_md5_ipn: 'Test setup: whether IPNs signed only with the legacy MD5 HASH are accepted',
  }))
    // comment takes no bind parameter: a literal, quoted
    await db.raw(`comment on column merchants.?? is '${comment.replace(/'/g, "''")}'`, [column]);

  for (const table of MODE_TABLES)
    await db.schema.alterTable(table, (t) => {
      t.boolean('livemode').nullable().comment(COMMENT[table]);
    });

  const merchantLive = "m.twocheckout_environment = 'live' and not m.accept_test_orders";
  await db.raw(`update api_keys k set livemode = ${merchantLive} from merchants m where m.id = k.merchant_id`);
  await db.raw(`update products p set livemode = ${merchantLive} from merchants m where m.id = p.merchant_id`);
  await db.raw(`
    update invoices i
       set livemode = i.twocheckout_environment = 'live' and coalesce(i.test_order, m.accept_test_orders) = false
      from merchants m where m.id = i.merchant_id`);
  await db.raw('update refunds r set livemode = i.livemode from invoices i where i.id = r.invoice_id');
  await db.raw('update webhook_deliveries d set livemode = i.livemode from invoices i where i.id = d.invoice_id');
  // the body as escaped text: a rejected attempt's bytes need not be UTF-8
  await db.raw(`
    update ipn_events e
       set livemode = coalesce(
             (select i.livemode from invoices i where i.id = e.invoice_id),
             ${merchantLive} and encode(e.raw_body, 'escape') !~ '(^|&)TEST_ORDER=1(&|$)')
      from merchants m where m.id = e.merchant_id`);
  for (const table of MODE_TABLES) await db.raw('alter table ?? alter column livemode set not null', [table]);

  await db.raw(`update merchants m set live_twocheckout_merchant_code = twocheckout_merchant_code,
                                       live_allow_md5_ipn = allow_md5_ipn
                 where ${merchantLive}`);
  // a test setup on 2Checkout itself takes test orders only: its links say test=1
  await db.raw("update merchants set accept_test_orders = true where twocheckout_environment = 'live'");
  await db.raw(`
    alter table merchants
      add constraint merchants_live_secrets_together check (
        (live_twocheckout_secret_key_sealed is null) = (live_twocheckout_buy_link_secret_word_sealed is null)),
      add constraint merchants_live_secrets_borrowed check (
        live_twocheckout_secret_key_sealed is not null or live_twocheckout_merchant_code is null
        or (live_twocheckout_merchant_code = twocheckout_merchant_code and twocheckout_environment = 'live'))`);

  for (const [name, table, columns, where] of INDEXES) {
    await db.raw('drop index ??', [name]);
    await db.raw(`create index ?? on ?? (${columns.replace('merchant_id', 'merchant_id, livemode')}) ${where}`, [
      name,
      table,
    ]);
  }
  // an Idempotency-Key is the caller's within its mode: a test key's never answers with a live request's answer
  await db.schema.alterTable('idempotency_keys', (t) => {
    t.boolean('livemode').nullable().comment('Mode of the key that sent it: keys are unique per merchant and mode');
  });
  await db.raw(`
    update idempotency_keys k
       set livemode = coalesce((select i.livemode from invoices i where i.id = k.resource_id),
                               (select r.livemode from refunds r where r.id = k.resource_id),
                               (select ${merchantLive} from merchants m where m.id = k.merchant_id))`);
  await db.raw(`
    alter table idempotency_keys
      alter column livemode set not null,
      drop constraint idempotency_keys_pkey,
      add constraint idempotency_keys_pkey primary key (merchant_id, livemode, key)`);
  // the same IPN twice is one IPN of one mode; a sandbox REFNO may equal a 2Checkout one of the other mode
  await db.raw('alter table ipn_events drop constraint ipn_events_merchant_dedup_key');
  await db.raw(
    'alter table ipn_events add constraint ipn_events_merchant_dedup_key unique (merchant_id, livemode, dedup_key)',
  );
}

/**
 * Back to one setup: the live one where the merchant is live, the test one otherwise. A live setup with secrets of
 * its own cannot be moved into the test columns (each sealed value opens only in its own column): such a merchant
 * stops the rollback, named, rather than lose its live account.
 */
export async function down(db: Knex): Promise<void> {
  const own = await db('merchants')
    .whereNotNull('live_twocheckout_secret_key_sealed')
    .whereRaw('live_twocheckout_merchant_code is not null')
    .pluck('id');
  if (own.length > 0)
    throw new Error(`merchants with a live setup of their own cannot be rolled back to one setup: ${own.join(', ')}`);
  await db.raw(`update merchants set accept_test_orders = false, allow_md5_ipn = live_allow_md5_ipn
                 where live_twocheckout_merchant_code is not null`);
  await db.raw('alter table ipn_events drop constraint ipn_events_merchant_dedup_key');
  await db.raw('alter table ipn_events add constraint ipn_events_merchant_dedup_key unique (merchant_id, dedup_key)');
  await db.raw('delete from idempotency_keys where not livemode'); // kept a day; test ones are let go
  await db.raw(`
    alter table idempotency_keys
      drop constraint idempotency_keys_pkey,
      add constraint idempotency_keys_pkey primary key (merchant_id, key),
      drop column livemode`);
  for (const [name, table, columns, where] of INDEXES) {
    await db.raw('drop index ??', [name]);
    await db.raw(`create index ?? on ?? (${columns}) ${where}`, [name, table]);
  }
  for (const table of MODE_TABLES)
    await db.schema.alterTable(table, (t) => {
      t.dropColumn('livemode');
    });
  await db.raw('alter table merchants drop constraint merchants_live_secrets_together');
  await db.raw('alter table merchants drop constraint merchants_live_secrets_borrowed');
  await db.schema.alterTable('merchants', (t) => {
    t.dropColumn('live_twocheckout_merchant_code');
    t.dropColumn('live_twocheckout_secret_key_sealed');
    t.dropColumn('live_twocheckout_buy_link_secret_word_sealed');
    t.dropColumn('live_allow_md5_ipn');
  });
}
