import type { Knex } from 'knex';
import { migrationSource } from '../../lib/db';
import { INVOICE_STATUSES } from '../../workflows/shared';
import { createTestDatabase } from '../helpers/db';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

const TABLE_OF_MIGRATION: Record<string, string> = {
  '20261128000001_create_merchants': 'merchants',
  '20261128000002_create_products': 'products',
  '20261128000003_create_invoices': 'invoices',
  '20261128000004_create_ipn_events': 'ipn_events',
  '20261128000005_create_invoice_events': 'invoice_events',
  '20261128000006_create_webhook_deliveries': 'webhook_deliveries',
};
/** Migrations after the tables exist: the columns each adds. */
const COLUMNS_OF_MIGRATION: Record<string, { table: string; columns: string[] }> = {
  '20261130000007_invoice_revision_and_waiting_reason': { table: 'invoices', columns: ['revision', 'waiting_reason'] },
  '20261130000010_ipn_events_rejected_truncated': {
    table: 'ipn_events',
    columns: ['raw_body_sha256', 'raw_body_bytes'],
  },
  '20261130000011_merchant_dashboard_session_version': { table: 'merchants', columns: ['dashboard_session_version'] },
  '20261130000020_invoice_twocheckout_account': {
    table: 'invoices',
    columns: ['twocheckout_environment', 'twocheckout_merchant_code'],
  },
  // a table of its own: it appears and disappears with these columns
  '20261130000021_create_merchant_settings_changes': {
    table: 'merchant_settings_changes',
    columns: ['id', 'merchant_id', 'actor_type', 'actor', 'fields', 'changes', 'created_at'],
  },
  // a table of its own, taking the merchants' api_key_hash and api_key_prefix
  '20261130000030_create_api_keys': {
    table: 'api_keys',
    columns: ['id', 'merchant_id', 'key_hash', 'prefix', 'created_at', 'expires_at', 'revoked_at', 'last_used_at'],
  },
  '20261130000031_merchant_disabled': { table: 'merchants', columns: ['disabled_at', 'disabled_reason'] },
  '20261130000040_webhook_previous_secret': {
    table: 'merchants',
    columns: ['webhook_previous_secret_sealed', 'webhook_previous_secret_expires_at'],
  },
  '20261201000100_invoice_fees': {
    table: 'invoices',
    columns: ['fee_minor', 'fee_currency', 'payout_minor', 'payout_currency', 'fx_rate', 'fees_ipn_event_id'],
  },
  // a table of its own
  '20261201000200_create_refunds': {
    table: 'refunds',
    columns: ['id', 'invoice_id', 'merchant_id', 'amount_minor', 'status', 'source', 'idempotency_key', 'ipn_event_id'],
  },
  '20261201000300_invoice_language': { table: 'invoices', columns: ['language'] },
  // an index only (invoices_merchant_paid_idx): no column
  '20261201000301_invoices_merchant_paid_index': { table: 'invoices', columns: [] },
  // a table of its own: events announced to merchants, frozen when written
  '20261202000100_create_events': {
    table: 'events',
    columns: ['id', 'audit_event_id', 'merchant_id', 'invoice_id', 'type', 'api_version', 'livemode', 'payload'],
  },
  '20261202000200_product_metadata': { table: 'products', columns: ['metadata'] },
  '20261202000201_invoice_metadata': { table: 'invoices', columns: ['metadata'] },
  // indexes only (the invoice external id, the IPN log's and webhook deliveries' paging): no column
  '20261202000202_list_indexes': { table: 'invoices', columns: [] },
  // a table of its own: Idempotency-Keys with their first answers
  '20261202000300_create_idempotency_keys': {
    table: 'idempotency_keys',
    columns: ['merchant_id', 'key', 'fingerprint', 'state', 'resource_id', 'response_status', 'response_body'],
  },
  // test and live mode: `livemode` on every table of one mode's rows, the live setup on merchants
  '20261202000400_test_and_live_mode': { table: 'invoices', columns: ['livemode'] },
  // data only: the keys of the day before idempotency_keys
  '20261202000401_idempotency_keys_from_before': { table: 'idempotency_keys', columns: [] },
};

async function columnsOf(db: Knex, table: string): Promise<string[]> {
  return db('information_schema.columns').where({ table_schema: 'public', table_name: table }).pluck('column_name');
}

async function tables(db: Knex): Promise<string[]> {
  const rows = await db('pg_tables')
    .where({ schemaname: 'public' })
    .whereNot('tablename', 'like', 'knex_%')
    .pluck('tablename');
  return (rows as string[]).sort();
}

/** Columns of a table without a comment, and whether the table itself has one. */
async function uncommented(db: Knex, table: string): Promise<{ table: boolean; columns: string[] }> {
  const { rows } = await db.raw<{ rows: { column_name: string; comment: string | null }[] }>(
    `select a.attname as column_name, col_description(a.attrelid, a.attnum) as comment
       from pg_attribute a where a.attrelid = ?::regclass and a.attnum > 0 and not a.attisdropped`,
    [table],
  );
  const { rows: t } = await db.raw<{ rows: { c: string | null }[] }>('select obj_description(?::regclass, ?) as c', [
    table,
    'pg_class',
  ]);
  return { table: !t[0]?.c, columns: rows.filter((r) => !r.comment).map((r) => r.column_name) };
}

describe('migrations on a real PostgreSQL', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.drop();
  });

  it('When listed, then there is one per table of DESIGN.md §5, in order, then the later ones', async () => {
    const files = await migrationSource.getMigrations([]);
    expect(files.map((f) => migrationSource.getMigrationName(f))).toEqual([
      ...Object.keys(TABLE_OF_MIGRATION),
      ...Object.keys(COLUMNS_OF_MIGRATION),
    ]);
  });

  it('When each migration goes up, down and up again, then its table appears, disappears and reappears, fully commented', async () => {
    const created: string[] = [];
    for (const [name, table] of Object.entries(TABLE_OF_MIGRATION)) {
      await t.db.migrate.up();
      created.push(table);
      expect(await tables(t.db)).toEqual([...created].sort());
      expect(await uncommented(t.db, table)).toEqual({ table: false, columns: [] });

      await t.db.migrate.down();
      expect(await tables(t.db)).toEqual(created.filter((x) => x !== table).sort());

      const [, log] = (await t.db.migrate.up()) as [number, string[]];
      expect(log).toEqual([name]);
      expect(await tables(t.db)).toEqual([...created].sort());
    }
    for (const [name, { table, columns }] of Object.entries(COLUMNS_OF_MIGRATION)) {
      await t.db.migrate.up();
      expect(await columnsOf(t.db, table)).toEqual(expect.arrayContaining(columns));
      expect(await uncommented(t.db, table)).toEqual({ table: false, columns: [] });
      await t.db.migrate.down();
      expect((await columnsOf(t.db, table)).filter((c) => columns.includes(c))).toEqual([]);
      const [, log] = (await t.db.migrate.up()) as [number, string[]];
      expect(log).toEqual([name]);
    }
    expect(await t.db.migrate.currentVersion()).toBe(Object.keys(COLUMNS_OF_MIGRATION).at(-1)!.slice(0, 14));
  });

  it('When everything is rolled back, then no table is left; when migrated again, then all are back', async () => {
    await t.db.migrate.rollback(undefined, true);
    expect(await tables(t.db)).toEqual([]);
    await t.db.migrate.latest();
    const later = Object.values(COLUMNS_OF_MIGRATION).map((m) => m.table);
    expect(await tables(t.db)).toEqual([...new Set([...Object.values(TABLE_OF_MIGRATION), ...later])].sort());
  });

  describe('constraints', () => {
    const merchant = (id: string) => ({
      id,
      name: 'Shop',
      twocheckout_merchant_code: '250000000001',
      twocheckout_secret_key_sealed: 'v1.a.b.c',
      twocheckout_buy_link_secret_word_sealed: 'v1.a.b.c',
      twocheckout_environment: 'sandbox',
    });
    const invoice = (id: string, overrides: Record<string, unknown> = {}) => ({
      id,
      merchant_id: 'mer_1',
      items: JSON.stringify([{ name: 'Test', unitPriceMinor: 5000, quantity: 1 }]),
      amount_minor: 5000,
      currency: 'RUB',
      expires_at: new Date(Date.now() + 86_400_000),
      twocheckout_environment: 'sandbox',
      twocheckout_merchant_code: '250000000001',
      livemode: false,
      ...overrides,
    });

    beforeAll(async () => {
      await t.db('merchants').insert([merchant('mer_1'), merchant('mer_2')]);
    });

    it('When the status CHECK is read back, then it lists exactly the statuses the code knows', async () => {
      const { rows } = await t.db.raw<{ rows: { def: string }[] }>(
        "select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'invoices_status_check'",
      );
      const listed = [...rows[0]!.def.matchAll(/'([a-z_]+)'::text/g)].map((m) => m[1]);
      expect(listed.sort()).toEqual([...INVOICE_STATUSES].sort());
    });

    it('When an invoice gets an unknown status, a bad currency or a non-positive amount, then the database refuses', async () => {
      await expect(t.db('invoices').insert(invoice('inv_a', { status: 'PAID' }))).rejects.toThrow(
        /invoices_status_check/,
      );
      await expect(t.db('invoices').insert(invoice('inv_b', { currency: 'rub' }))).rejects.toThrow(/currency_format/);
      await expect(t.db('invoices').insert(invoice('inv_c', { amount_minor: 0 }))).rejects.toThrow(/amount_positive/);
      await expect(t.db('invoices').insert(invoice('inv_d', { refunded_minor: 5001 }))).rejects.toThrow(
        /refunded_range/,
      );
    });

    it('When two invoices share an idempotency key, then only another merchant may reuse it', async () => {
      await t.db('invoices').insert(invoice('inv_1', { idempotency_key: 'k1' }));
      await expect(t.db('invoices').insert(invoice('inv_2', { idempotency_key: 'k1' }))).rejects.toThrow(
        /invoices_merchant_idempotency_key/,
      );
      await t.db('invoices').insert(invoice('inv_3', { merchant_id: 'mer_2', idempotency_key: 'k1' }));
      expect(await t.db('invoices').where({ idempotency_key: 'k1' }).count({ n: '*' })).toEqual([{ n: 2 }]);
    });

    it('When the same IPN is stored twice for a merchant, then the dedup key refuses the second; another merchant may', async () => {
      const ipn = (merchantId: string) => ({
        merchant_id: merchantId,
        raw_body: Buffer.from('REFNO=1&HASH=x'),
        headers: JSON.stringify({ 'content-type': 'application/x-www-form-urlencoded' }),
        verdict: 'verified',
        algorithm: 'sha3-256',
        dedup_key: '1:COMPLETE:20240115122512',
        delivery_state: 'pending',
        livemode: false,
      });
      const [{ id }] = await t.db('ipn_events').insert(ipn('mer_1')).returning('id');
      await expect(t.db('ipn_events').insert(ipn('mer_1'))).rejects.toThrow(/ipn_events_merchant_dedup_key/);
      await t.db('ipn_events').insert(ipn('mer_2'));
      const stored = await t.db('ipn_events').where({ id }).first<{ raw_body: Buffer }>('raw_body');
      expect(Buffer.compare(stored.raw_body, Buffer.from('REFNO=1&HASH=x'))).toBe(0);
      await expect(t.db('ipn_events').insert({ ...ipn('mer_1'), dedup_key: null, verdict: 'forged' })).rejects.toThrow(
        /ipn_events_verdict_check/,
      );
    });
  });
});
