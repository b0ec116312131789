/**
 * Issue 15, "Lists": every list answers `{ data, hasMore, nextCursor }`, pages by an opaque keyset cursor (nothing
 * skipped or repeated when rows arrive between pages), refuses a bad `limit` or cursor with a 400; invoices filter by
 * status, creation time and the merchant's own reference; products and invoices carry bounded `metadata`.
 */
import { startReceiver } from '../helpers/listen';
import type { Knex } from 'knex';
import { dashboardClient } from '../helpers/dashboard';
import { eventually } from '../helpers/eventually';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
type Merchant = Awaited<ReturnType<Stack['newMerchant']>>;
let shop: Merchant;
let other: Merchant;

beforeAll(async () => {
  stack = await startStack();
  shop = await stack.newMerchant('LISTS1', 'lists-secret-1');
  other = await stack.newMerchant('LISTS2', 'lists-secret-2');
}, 120_000);
afterAll(() => stack?.close());

const get = (m: Merchant, path: string) => stack.call('GET', path, { token: m.apiKey });

/** Every page of a list, `limit` at a time; `between` runs after each page but the last (rows arriving meanwhile). */
async function allPages(m: Merchant, path: string, limit: number, between?: () => Promise<void>) {
  const pages: { ids: string[]; hasMore: boolean; nextCursor: string | null }[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await get(m, `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(['data', 'hasMore', 'nextCursor']);
    // webhook deliveries have no id of their own: an event's attempt names one
    const ids = (res.json.data as { id?: string | number; eventId?: string; attempt?: number }[]).map((d) =>
      d.id !== undefined ? String(d.id) : `${d.eventId}#${d.attempt}`,
    );
    pages.push({ ids, hasMore: res.json.hasMore, nextCursor: res.json.nextCursor });
    cursor = res.json.nextCursor;
    if (cursor !== null && between) await between();
  } while (cursor !== null && pages.length < 50);
  return pages;
}

/** Pages of `limit` over `expected` (newest first): sizes, hasMore, and every id once, in order. */
function expectPaged(pages: Awaited<ReturnType<typeof allPages>>, expected: string[], limit: number) {
  expect(pages.flatMap((p) => p.ids)).toEqual(expected);
  expect(pages.map((p) => p.ids.length)).toEqual(
    Array.from({ length: Math.ceil(expected.length / limit) }, (_, i) => Math.min(limit, expected.length - i * limit)),
  );
  expect(pages.map((p) => p.hasMore)).toEqual(pages.map((_, i) => i < pages.length - 1));
  expect(pages.at(-1)!.nextCursor).toBeNull();
}

const createProduct = async (m: Merchant, name: string, extra: Record<string, unknown> = {}) => {
  const res = await stack.call('POST', '/v1/products', {
    token: m.apiKey,
    body: { name, price: '10.00', currency: 'EUR', ...extra },
  });
  expect(res.status).toBe(201);
  return res.json.id as string;
};

const createInvoice = async (m: Merchant, extra: Record<string, unknown> = {}) => {
  const res = await stack.call('POST', '/v1/invoices', {
    token: m.apiKey,
    body: { items: [{ name: 'Tea', price: '5.00', quantity: 1 }], currency: 'EUR', ...extra },
  });
  expect(res.status).toBe(201);
  return res.json.id as string;
};

describe('paging', () => {
  it('When products are listed 2 at a time while more are created, then every one is seen once, newest first, and the last page says hasMore false', async () => {
    const m = await stack.newMerchant('LISTSP', 'lists-secret-p');
    const ids = [m.productId];
    for (let i = 0; i < 4; i++) ids.push(await createProduct(m, `P${i}`));
    const before = [...ids].reverse();

    const pages = await allPages(m, '/v1/products', 2, async () => {
      await createProduct(m, 'arrived between pages');
    });
    expectPaged(pages, before, 2);

    // A first page asked now starts with the newest, those made between pages included.
    const now = await get(m, '/v1/products?limit=100');
    expect(now.json.data).toHaveLength(7);
    expect(now.json.hasMore).toBe(false);
  });

  it('When there are more than 1,000 products, then every one of them can be reached', async () => {
    const m = await stack.newMerchant('LISTSK', 'lists-secret-k');
    const template = await stack.db('products').where({ id: m.productId }).first();
    const rows = Array.from({ length: 1005 }, (_, i) => ({
      ...template,
      id: `prd_bulk${String(i).padStart(5, '0')}`,
      created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    }));
    await stack.db.batchInsert('products', rows, 500);
    const pages = await allPages(m, '/v1/products', 100);
    expect(pages.flatMap((p) => p.ids)).toHaveLength(1006);
    expect(new Set(pages.flatMap((p) => p.ids)).size).toBe(1006);
    expect(pages.at(-1)!.ids.at(-1)).toBe('prd_bulk00000');
  });

  it('When invoices are listed while more are created, then none is skipped or repeated', async () => {
    const m = await stack.newMerchant('LISTSI', 'lists-secret-i');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await createInvoice(m));
    const pages = await allPages(m, '/v1/invoices', 2, async () => {
      await createInvoice(m);
    });
    expectPaged(pages, [...ids].reverse(), 2);
  });

  it('When invoices share one creation instant, then paging still shows each once (ties broken by id)', async () => {
    const m = await stack.newMerchant('LISTST', 'lists-secret-t');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await createInvoice(m));
    await stack
      .db('invoices')
      .whereIn('id', ids)
      .update({ created_at: new Date('2026-06-01T00:00:00.123456Z') });
    const pages = await allPages(m, '/v1/invoices', 2);
    expectPaged(pages, [...ids].sort().reverse(), 2);
  });

  it('When the IPN log is longer than a page, then older entries are reached through the cursor, also with since', async () => {
    const m = await stack.newMerchant('LISTSN', 'lists-secret-n');
    const post = async (i: number) =>
      expect((await stack.postIpn(m.merchantId, `REFNO=${i}&ORDERSTATUS=COMPLETE&HASH=bad${i}`)).status).toBe(400);
    for (let i = 0; i < 5; i++) await post(i);
    const stored = (await get(m, '/v1/ipn-events?limit=100')).json.data.map((e: { id: number }) => String(e.id));
    expect(stored).toHaveLength(5);
    const pages = await allPages(m, '/v1/ipn-events', 2, () => post(100));
    expectPaged(pages, stored, 2);

    const since = await allPages(m, '/v1/ipn-events?since=2026-01-01T00:00:00Z', 3);
    expect(since.flatMap((p) => p.ids)).toHaveLength(7);
    expect((await get(m, '/v1/ipn-events?since=2999-01-01')).json).toEqual({
      data: [],
      hasMore: false,
      nextCursor: null,
    });
  });

  it('When webhook deliveries are longer than a page, then they page the same way', async () => {
    const m = await stack.newMerchant('LISTSW', 'lists-secret-w');
    const receiver = await startReceiver();
    try {
      await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { webhookUrl: receiver.url } });
      const cancelOne = async () => {
        const id = await createInvoice(m, { metadata: { orderId: 'ord-7' } });
        expect((await stack.call('POST', `/v1/invoices/${id}/cancel`, { token: m.apiKey })).status).toBe(200);
      };
      for (let i = 0; i < 3; i++) await cancelOne();
      const delivered = await eventually(async () => {
        const res = await get(m, '/v1/webhook-deliveries?limit=100');
        const done = res.json.data.filter((d: { state: string }) => d.state === 'succeeded');
        return done.length === res.json.data.length && done.length >= 3 ? res.json.data : undefined;
      }, 30_000);
      const expected = delivered.map((d: { eventId: string; attempt: number }) => `${d.eventId}#${d.attempt}`);
      const pages = await allPages(m, '/v1/webhook-deliveries', 2, cancelOne);
      expectPaged(pages, expected, 2);

      // the event carries the invoice's metadata
      const bodies = receiver.received.map((b) => JSON.parse(b) as { data: { invoice: { metadata: unknown } } });
      expect(bodies.length).toBeGreaterThanOrEqual(3);
      for (const body of bodies) expect(body.data.invoice.metadata).toEqual({ orderId: 'ord-7' });
    } finally {
      await receiver.close();
    }
  });

  it.each([
    ['/v1/products?limit=0'],
    ['/v1/products?limit=101'],
    ['/v1/products?limit=ten'],
    ['/v1/invoices?limit=1.5'],
    ['/v1/ipn-events?limit=-1'],
    ['/v1/webhook-deliveries?limit=1000'],
    ['/v1/products?cursor=not-a-cursor'],
    [`/v1/invoices?cursor=${Buffer.from('{"a":1}').toString('base64url')}`],
    [`/v1/ipn-events?cursor=${Buffer.from('["12","34"]').toString('base64url')}`],
    [`/v1/ipn-events?cursor=${Buffer.from('["99999999999999999999"]').toString('base64url')}`],
    [`/v1/webhook-deliveries?cursor=${Buffer.from('["1 or 1=1"]').toString('base64url')}`],
    [`/v1/products?cursor=${Buffer.from('["2026-13-01 00:00:00+00","prd_x"]').toString('base64url')}`],
    ['/v1/products?colour=red'],
  ])('When a list is asked %s, then it is a 400 invalid_request', async (path) => {
    const res = await get(shop, path);
    expect({ status: res.status, code: res.json?.error?.code }).toEqual({ status: 400, code: 'invalid_request' });
  });

  it("When one list's cursor is given to another list, then it is a 400, not a 500", async () => {
    const m = await stack.newMerchant('LISTSX', 'lists-secret-x');
    await createProduct(m, 'second');
    const productCursor = (await get(m, '/v1/products?limit=1')).json.nextCursor as string;
    expect(productCursor).toEqual(expect.any(String));
    const res = await get(m, `/v1/ipn-events?cursor=${productCursor}`);
    expect(res.status).toBe(400);
  });
});

describe('invoice filters', () => {
  let m: Merchant;
  let ids: Record<'oct' | 'nov' | 'dec' | 'canceled', string>;

  beforeAll(async () => {
    m = await stack.newMerchant('LISTSF', 'lists-secret-f');
    ids = {
      oct: await createInvoice(m, { externalId: 'order-1' }),
      nov: await createInvoice(m, { externalId: 'order-2' }),
      dec: await createInvoice(m, { externalId: 'order-2' }),
      canceled: await createInvoice(m, { externalId: 'order-10' }),
    };
    expect((await stack.call('POST', `/v1/invoices/${ids.canceled}/cancel`, { token: m.apiKey })).status).toBe(200);
    const at: Record<keyof typeof ids, string> = {
      oct: '2026-10-15T12:00:00Z',
      nov: '2026-11-01T00:00:00Z',
      dec: '2026-12-01T00:00:00Z',
      canceled: '2026-11-20T08:00:00Z',
    };
    for (const k of Object.keys(at) as (keyof typeof at)[])
      await stack.db('invoices').where({ id: ids[k] }).update({ created_at: at[k] });
  }, 60_000);

  const listed = async (query: string) => {
    const res = await get(m, `/v1/invoices?${query}`);
    expect(res.status).toBe(200);
    return (res.json.data as { id: string }[]).map((i) => i.id);
  };

  it('When filtered by one status or several, then only those come back', async () => {
    expect(await listed('status=canceled')).toEqual([ids.canceled]);
    expect(await listed('status=awaiting_payment')).toEqual([ids.dec, ids.nov, ids.oct]);
    expect(await listed('status=canceled,awaiting_payment')).toEqual([ids.dec, ids.canceled, ids.nov, ids.oct]);
    expect(await listed('status=canceled&status=paid')).toEqual([ids.canceled]);
    expect(await listed('status=paid')).toEqual([]);
  });

  it('When filtered by creation time, then from is inclusive and to exclusive', async () => {
    expect(await listed('createdFrom=2026-11-01T00:00:00Z&createdTo=2026-12-01T00:00:00Z')).toEqual([
      ids.canceled,
      ids.nov,
    ]);
    expect(await listed('createdFrom=2026-11-01')).toEqual([ids.dec, ids.canceled, ids.nov]);
    expect(await listed('createdTo=2026-11-01T00:00:00Z')).toEqual([ids.oct]);
    expect(await listed('createdFrom=2026-11-20T09:00:00%2B01:00&createdTo=2026-11-20T09:00:00%2B01:00')).toEqual([]);
    expect(await listed('createdFrom=2026-11-20T09:00:00%2B01:00&createdTo=2026-11-20T08:00:01Z')).toEqual([
      ids.canceled,
    ]);
  });

  it("When filtered by the merchant's own reference, then only exact matches come back", async () => {
    expect(await listed('externalId=order-2')).toEqual([ids.dec, ids.nov]);
    expect(await listed('externalId=order-1')).toEqual([ids.oct]);
    expect(await listed('externalId=order')).toEqual([]);
    expect(await listed('externalId=ORDER-1')).toEqual([]);
  });

  it('When filters combine and page, then every page keeps to them', async () => {
    const pages = await allPages(m, '/v1/invoices?status=awaiting_payment,canceled&createdFrom=2026-11-01', 1);
    expectPaged(pages, [ids.dec, ids.canceled, ids.nov], 1);
    expect(await listed('status=awaiting_payment&externalId=order-2&createdTo=2026-11-15')).toEqual([ids.nov]);
  });

  it.each([
    ['status=PAID', /status/],
    ['status=paid,', /status/],
    ['status=', /status/],
    ['createdFrom=yesterday', /createdFrom/],
    ['createdTo=2026-02-30T00:00:00Z', /createdTo/],
    ['createdFrom=2026-11-01T00:00:00', /createdFrom/],
    ['createdFrom=2026-12-01&createdTo=2026-11-01', /createdFrom: must not be after createdTo/],
    ['externalId=', /externalId/],
    [`externalId=${'x'.repeat(101)}`, /externalId/],
    ['externalId=a%00b', /externalId/],
  ])('When the invoice list is asked %s, then it is a 400 saying which parameter', async (query, message) => {
    const res = await get(m, `/v1/invoices?${query}`);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('invalid_request');
    expect(res.json.error.message).toMatch(message);
  });

  it('When the external-id filter runs, then PostgreSQL answers it from its index', async () => {
    // the very query the API sends (the api shares this Knex), explained with sequential scans priced out
    const sent: { sql: string; bindings: unknown[] }[] = [];
    const spy = (q: { sql: string; bindings?: unknown[] }) =>
      void sent.push({ sql: q.sql, bindings: q.bindings ?? [] });
    stack.db.on('query', spy);
    try {
      await listed('externalId=order-2');
    } finally {
      stack.db.removeListener('query', spy);
    }
    const query = sent.find((q) => q.sql.includes('"external_id"'))!;
    expect(query).toBeDefined();
    const plan = await stack.db.transaction(async (trx) => {
      await trx.raw('set local enable_seqscan = off');
      const { rows } = await trx.raw<{ rows: { 'QUERY PLAN': string }[] }>(
        `explain ${query.sql.replace(/\$\d+/g, '?')}`,
        query.bindings as Knex.RawBinding[],
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/Index Scan.* using invoices_merchant_external_id_idx/);
  });
});

describe('metadata', () => {
  it('When a product and an invoice are created with metadata, then every view of them returns it', async () => {
    const metadata = { sku: 'TEA-1', 'colour (EN)': 'green', empty: '', emoji: '🍵' };
    const productId = await createProduct(shop, 'Green tea', { metadata });
    expect((await get(shop, `/v1/products/${productId}`)).json.metadata).toEqual(metadata);
    const products = (await get(shop, '/v1/products?limit=100')).json.data as { id: string; metadata: unknown }[];
    expect(products.find((p) => p.id === productId)!.metadata).toEqual(metadata);
    expect(products.find((p) => p.id === shop.productId)!.metadata).toEqual({});

    const invoiceId = await createInvoice(shop, { metadata: { orderId: '1001' }, externalId: 'meta-1' });
    expect((await get(shop, `/v1/invoices/${invoiceId}`)).json.metadata).toEqual({ orderId: '1001' });
    expect((await get(shop, '/v1/invoices?externalId=meta-1')).json.data[0].metadata).toEqual({ orderId: '1001' });
    const canceled = await stack.call('POST', `/v1/invoices/${invoiceId}/cancel`, { token: shop.apiKey });
    expect(canceled.json.metadata).toEqual({ orderId: '1001' });

    const fromProduct = await stack.call('POST', '/v1/invoices', { token: shop.apiKey, body: { productId } });
    expect(fromProduct.json.metadata).toEqual({});
  });

  it("When a buyer orders through a product's public link, then the invoice does not copy the product's metadata", async () => {
    const productId = await createProduct(shop, 'Linked', { metadata: { internal: 'yes' } });
    const order = await fetch(`${stack.apiUrl}/order/${productId}`, { redirect: 'manual' });
    expect(order.status).toBe(302);
    const row = await stack.db('invoices').where({ product_id: productId }).first();
    expect(row.metadata).toEqual({});
    expect((await get(shop, `/v1/invoices/${row.id}`)).json.metadata).toEqual({});
  });

  it('When metadata is exactly at its bounds, then it is accepted as given', async () => {
    const metadata = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`${String(i).padStart(2, '0')}${'k'.repeat(38)}`, 'v'.repeat(500)]),
    );
    const id = await createInvoice(shop, { metadata });
    expect((await get(shop, `/v1/invoices/${id}`)).json.metadata).toEqual(metadata);
  });

  const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
  it.each([
    ['51 keys', keys(51), /metadata: at most 50 keys, not 51/],
    ['5,000 keys', keys(5_000), /metadata: at most 50 keys/],
    ['a 41-character key', { ['k'.repeat(41)]: 'v' }, /metadata: key "k{41}" must be 1 to 40 characters/],
    ['a 5,000-character key', { ['k'.repeat(5000)]: 'v' }, /metadata: key "k{40}…" must be 1 to 40 characters/],
    ['an empty key', { '': 'v' }, /metadata: key "" must be 1 to 40/],
    ['a 501-character value', { a: 'v'.repeat(501) }, /metadata\.a: .*500/],
    ['a 90,000-character value', { a: 'v'.repeat(90_000) }, /metadata\.a: .*500/],
    ['a number', { a: 1 }, /metadata\.a: .*expected string/],
    ['a boolean', { a: true }, /metadata\.a: .*expected string/],
    ['null', { a: null }, /metadata\.a: .*expected string/],
    ['a nested object', { a: { b: 'c' } }, /metadata\.a: .*expected string/],
    ['an array value', { a: ['b'] }, /metadata\.a: .*expected string/],
    ['a NUL in a value', { a: 'x\u0000y' }, /metadata\.a: must not contain NUL/],
    ['a NUL in a key', { 'a\u0000': 'x' }, /metadata: key/],
    ['an array', ['a'], /metadata: .*expected record/],
    ['a string', 'a=b', /metadata: .*expected record/],
    ['null itself', null, /metadata: .*expected record/],
  ])(
    'When metadata has %s, then it is a 400 with a clear message and nothing is stored',
    async (_what, metadata, message) => {
      const counts = async () =>
        Promise.all(['products', 'invoices'].map(async (t) => Number((await stack.db(t).count({ n: '*' }))[0]!.n)));
      const before = await counts();
      for (const [path, body] of [
        ['/v1/products', { name: 'Bad', price: '1.00', currency: 'EUR', metadata }],
        ['/v1/invoices', { items: [{ name: 'x', price: '1.00', quantity: 1 }], currency: 'EUR', metadata }],
        ['/v1/invoices', { productId: shop.productId, metadata }],
      ] as const) {
        const res = await stack.call('POST', path, { token: shop.apiKey, body });
        expect({ status: res.status, code: res.json.error.code }).toEqual({ status: 400, code: 'invalid_request' });
        expect(res.json.error.message).toMatch(message);
        expect(res.text.length).toBeLessThan(2000);
      }
      expect(await counts()).toEqual(before);
    },
  );

  it('When a metadata key is __proto__, then it is refused rather than dropped', async () => {
    const raw = await fetch(`${stack.apiUrl}/v1/products`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${shop.apiKey}`, 'Content-Type': 'application/json' },
      body: '{"name":"Proto","price":"1.00","currency":"EUR","metadata":{"__proto__":"x","a":"b"}}',
    });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { error: { message: string } }).error.message).toMatch(/__proto__/);
  });
});

describe('the dashboard', () => {
  it('When a merchant has more products or IPNs than a dashboard page holds, then "Older" pages through them all', async () => {
    const m = await stack.newMerchant('LISTSD', 'lists-secret-d');
    const template = await stack.db('products').where({ id: m.productId }).first();
    await stack.db.batchInsert(
      'products',
      Array.from({ length: 150 }, (_, i) => ({
        ...template,
        id: `prd_dash${String(i).padStart(4, '0')}`,
        name: `Dash ${i}`,
        created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      })),
      500,
    );
    for (let i = 0; i < 3; i++) await stack.postIpn(m.merchantId, `REFNO=${i}&HASH=bad`);
    const browser = dashboardClient(stack.apiUrl);
    await browser.signIn(m.apiKey);

    const names: string[] = [];
    let path: string | undefined = '/dashboard/products';
    while (path) {
      const page = await browser.get(path);
      expect(page.status).toBe(200);
      names.push(...[...page.text.matchAll(/<tr><td>(P|Dash \d+)<\/td>/g)].map((x) => x[1]!));
      path = /<a href="([^"]+)" rel="next">/.exec(page.text)?.[1]?.replace(/&amp;/g, '&');
    }
    expect(names).toHaveLength(151);
    expect(new Set(names).size).toBe(151);
    expect(names.slice(0, 2)).toEqual(['P', 'Dash 149']);
    expect(names.at(-1)).toBe('Dash 0');

    const stale = await browser.get('/dashboard/products?cursor=not-a-cursor');
    expect(stale.status).toBe(400);
    expect(stale.text).toMatch(/This page link is not valid any more/);
    expect((await browser.get('/dashboard/ipn?cursor=not-a-cursor')).status).toBe(400);
    expect((await browser.get('/dashboard/ipn')).status).toBe(200);
  });
});

describe('another merchant', () => {
  it("When another merchant lists or filters, then it never sees this merchant's rows", async () => {
    await createProduct(shop, 'Private', { metadata: { secret: 'shop-only' } });
    await createInvoice(shop, { externalId: 'shared-ref' });
    await stack.postIpn(shop.merchantId, 'REFNO=1&HASH=bad');

    const theirs = {
      products: (await get(other, '/v1/products?limit=100')).json.data.map((p: { id: string }) => p.id),
      invoices: (await get(other, '/v1/invoices?limit=100')).json.data,
      byRef: (await get(other, '/v1/invoices?externalId=shared-ref')).json.data,
      ipn: (await get(other, '/v1/ipn-events?limit=100')).json.data,
      deliveries: (await get(other, '/v1/webhook-deliveries?limit=100')).json.data,
    };
    expect(theirs).toEqual({ products: [other.productId], invoices: [], byRef: [], ipn: [], deliveries: [] });

    // A cursor names a position, not rows: given another merchant's, a list still shows only its own.
    await createProduct(shop, 'Another');
    const cursor = (await get(shop, '/v1/products?limit=1')).json.nextCursor as string;
    const paged = await get(other, `/v1/products?cursor=${cursor}`);
    expect(paged.status).toBe(200);
    for (const p of paged.json.data as { id: string }[]) expect(p.id).toBe(other.productId);
  });
});
