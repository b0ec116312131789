import { Client, Connection } from '@temporalio/client';
import knex from 'knex';
import type { z } from 'zod';
import {
  createdMerchantResponse,
  errorResponse,
  invoiceDetailResponse,
  invoiceListResponse,
  invoiceResponse,
  ipnEventListResponse,
  merchantResponse,
  productListResponse,
  productResponse,
} from '../../api/schemas';
import { serveMetrics } from '../../lib/worker-metrics';
import { eventually } from '../helpers/eventually';
import { signedIpnBody } from '../helpers/ipn';
import { freePort } from '../helpers/ports';
import { scrape } from '../helpers/prometheus';
import { ADMIN_TOKEN, startStack, type Stack } from '../helpers/stack';

const SECRET_KEY = 'observability-secret-key';

/** The api on a real port, the real worker on the Temporal dev server, a stand-in for 2Checkout's REST API. */
describe('metrics, probes and the documented responses of a running api and worker', () => {
  jest.setTimeout(120_000);
  let stack: Stack;
  let workerMetricsUrl: string;
  let closeWorkerMetrics: () => Promise<void>;
  let apiKey: string;
  let merchantId: string;
  let productId: string;

  beforeAll(async () => {
    stack = await startStack();
    // The worker process serves its registry like this (worker/index.ts), here for the in-process worker's.
    const served = await serveMetrics(stack.workerMetrics.registry, 0, '127.0.0.1');
    workerMetricsUrl = served.url;
    closeWorkerMetrics = () => served.close();
    ({ apiKey, merchantId, productId } = await stack.newMerchant('OBSERVE', SECRET_KEY));
  });
  afterAll(async () => {
    await closeWorkerMetrics?.();
    await stack?.close();
  });

  const statusOf = (id: string) => stack.statusOf(apiKey, id);
  const paidWhen = (id: string) => eventually(async () => ((await statusOf(id)) === 'paid' ? true : undefined), 30_000);

  it('When a good IPN, its duplicate, a forged one, a malformed one and one for no merchant arrive, then the IPN counters and the receipt histogram move by exactly those, and invoices by status match the database', async () => {
    const before = await scrape(`${stack.apiUrl}/metrics`, ADMIN_TOKEN);
    const { id, body } = await stack.paidAtTwoCheckout({ apiKey, productId, secretKey: SECRET_KEY }, '700001');

    expect((await stack.postIpn(merchantId, body)).status).toBe(200);
    expect((await stack.postIpn(merchantId, body)).status).toBe(200);
    const forged = signedIpnBody('not-the-secret-key', {
      refNo: '700001',
      invoiceId: id,
      orderStatus: 'COMPLETE',
      total: '50.00',
      currency: 'RUB',
    });
    expect((await stack.postIpn(merchantId, forged)).status).toBe(400);
    expect((await stack.postIpn(merchantId, 'REFNO=1&REFNO=2')).status).toBe(400);
    expect((await stack.postIpn('mer_nobody', body)).status).toBe(400); // as a bad signature: no oracle of ids
    await paidWhen(id);

    const after = await scrape(`${stack.apiUrl}/metrics`, ADMIN_TOKEN);
    const moved = (name: string, labels?: Record<string, string>) =>
      after.value(name, labels) - before.value(name, labels);
    expect({
      accepted: moved('ipn_received_total', { verdict: 'accepted' }),
      rejected: moved('ipn_received_total', { verdict: 'rejected' }),
      unknownMerchant: moved('ipn_received_total', { verdict: 'unknown_merchant' }),
      unavailable: moved('ipn_received_total', { verdict: 'unavailable' }),
      badSignature: moved('ipn_rejected_total', { reason: 'bad_signature' }),
      malformed: moved('ipn_rejected_total', { reason: 'malformed' }),
      duplicates: moved('ipn_duplicates_total'),
      receipts:
        after.histogramCount('ipn_receipt_duration_seconds') - before.histogramCount('ipn_receipt_duration_seconds'),
    }).toEqual({
      accepted: 2,
      rejected: 2,
      unknownMerchant: 1,
      unavailable: 0,
      badSignature: 1,
      malformed: 1,
      duplicates: 1,
      receipts: 5,
    });

    const rows: { status: string; n: string }[] = await stack
      .db('invoices')
      .select('status')
      .count({ n: '*' })
      .groupBy('status');
    const inDatabase = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    const gauge = Object.fromEntries(
      after
        .series('invoices')
        .filter((s) => s.value > 0)
        .map((s) => [s.labels.status!, s.value]),
    );
    expect(gauge).toEqual(inDatabase);
    expect(gauge.paid).toBeGreaterThanOrEqual(1);
    expect(after.series('invoices').map((s) => s.labels.status)).toContain('needs_review'); // every status, 0 or not
    expect(after.value('process_cpu_user_seconds_total')).toBeGreaterThan(0); // default process metrics
  });

  it('When 2Checkout refuses the look-up at first and then answers, then the worker counts each request by outcome, as many as 2Checkout saw', async () => {
    const lookUps = (refNo: string) =>
      stack.twoCheckout.requests.filter((r) => r === `GET /rest/6.0/orders/${refNo}/`).length;
    const before = await scrape(workerMetricsUrl);
    const { id, refNo, body } = await stack.paidAtTwoCheckout({ apiKey, productId, secretKey: SECRET_KEY }, '700002');
    stack.merchants.set('OBSERVE', 'a-key-2checkout-does-not-have'); // 2Checkout answers 401: the workflow retries
    try {
      expect((await stack.postIpn(merchantId, body)).status).toBe(200);
      await eventually(async () => {
        const now = await scrape(workerMetricsUrl);
        const rejected = now.value('twocheckout_api_requests_total', { operation: 'get_order', outcome: 'rejected' });
        return rejected -
          before.value('twocheckout_api_requests_total', { operation: 'get_order', outcome: 'rejected' }) >=
          2
          ? true
          : undefined;
      });
    } finally {
      stack.merchants.set('OBSERVE', SECRET_KEY);
    }
    await paidWhen(id);

    const after = await scrape(workerMetricsUrl);
    const moved = (outcome: string) =>
      after.value('twocheckout_api_requests_total', { operation: 'get_order', outcome }) -
      before.value('twocheckout_api_requests_total', { operation: 'get_order', outcome });
    const timed = (outcome: string) =>
      after.histogramCount('twocheckout_api_request_duration_seconds', { operation: 'get_order', outcome }) -
      before.histogramCount('twocheckout_api_request_duration_seconds', { operation: 'get_order', outcome });
    expect(moved('ok')).toBe(1);
    expect(moved('unreachable')).toBe(0);
    expect(moved('rejected')).toBeGreaterThanOrEqual(2);
    expect(moved('rejected') + moved('ok')).toBe(lookUps(refNo));
    expect([timed('ok'), timed('rejected')]).toEqual([moved('ok'), moved('rejected')]);
    // Defined for the webhook activities; the help text says what it counts.
    expect(after.families.find((f) => f.name === 'webhook_delivery_attempts_total')).toMatchObject({
      type: 'COUNTER',
    });
  });

  it('When PostgreSQL or Temporal cannot be reached, then /readyz answers 503 naming it while /healthz stays 200; with both back, 200', async () => {
    const probe = async (path: string) => {
      const r = await stack.call('GET', path);
      return { status: r.status, body: r.json as unknown };
    };
    const ready = { status: 200, body: { status: 'ok', checks: { database: 'ok', temporal: 'ok' } } };
    expect(await probe('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await probe('/readyz')).toEqual(ready);

    const db = stack.deps.db;
    const closedPort = await freePort();
    const down = knex({ client: 'pg', connection: `postgres://nobody@127.0.0.1:${closedPort}/none` });
    stack.deps.db = down;
    try {
      expect(await probe('/readyz')).toEqual({
        status: 503,
        body: { status: 'unavailable', checks: { database: 'unavailable', temporal: 'ok' } },
      });
      expect(await probe('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
      // A scrape still answers without the database; only the invoices gauge is left out.
      const scraped = await scrape(`${stack.apiUrl}/metrics`, ADMIN_TOKEN);
      expect(scraped.series('invoices')).toEqual([]);
      expect(scraped.value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    } finally {
      stack.deps.db = db;
      await down.destroy();
    }

    const temporal = stack.deps.temporal;
    const noTemporal = new Client({
      connection: Connection.lazy({ address: `127.0.0.1:${closedPort}`, connectTimeout: 500 }),
    });
    stack.deps.temporal = noTemporal;
    try {
      expect(await probe('/readyz')).toEqual({
        status: 503,
        body: { status: 'unavailable', checks: { database: 'ok', temporal: 'unavailable' } },
      });
    } finally {
      // Not closed: the client's retry timer for the refused call may still be pending, and a closed channel throws.
      stack.deps.temporal = temporal;
    }
    expect(await probe('/readyz')).toEqual(ready);
    expect(stack.logs.filter((l) => l.message === 'readiness check failed').map((l) => l.fields?.check)).toEqual([
      'database',
      'temporal',
    ]);
  });

  it('When the main resources and an error are fetched, then each answer is exactly what its response schema in /openapi.json says', async () => {
    /** Parsing strips keys a schema does not know: equal means valid and nothing undocumented. */
    const conforms = (schema: z.ZodType, json: unknown) => expect(schema.parse(json)).toEqual(json);

    const created = await stack.call('POST', '/v1/merchants', {
      token: ADMIN_TOKEN,
      body: {
        name: 'Documented shop',
        twocheckout: {
          merchantCode: 'DOCS',
          secretKey: 'documented-key',
          buyLinkSecretWord: 'w',
          environment: 'sandbox',
          testOrders: true,
        },
      },
    });
    expect(created.status).toBe(201);
    conforms(createdMerchantResponse, created.json);
    conforms(merchantResponse, (await stack.call('GET', '/v1/merchant', { token: apiKey })).json);

    const product = await stack.call('POST', '/v1/products', {
      token: apiKey,
      body: { name: 'Documented', price: '12.50', currency: 'EUR' },
    });
    conforms(productResponse, product.json);
    conforms(productResponse, (await stack.call('GET', `/v1/products/${product.json.id}`, { token: apiKey })).json);
    conforms(productListResponse, (await stack.call('GET', '/v1/products', { token: apiKey })).json);

    const invoice = await stack.call('POST', '/v1/invoices', {
      token: apiKey,
      body: { items: [{ name: 'Thing', price: '3.00', quantity: 2 }], currency: 'RUB', customerEmail: 'b@example.com' },
    });
    expect(invoice.status).toBe(201);
    conforms(invoiceResponse, invoice.json);
    const canceled = await stack.call('POST', `/v1/invoices/${invoice.json.id}/cancel`, { token: apiKey, body: {} });
    expect(canceled.status).toBe(200);
    conforms(invoiceResponse, canceled.json);
    const detail = await stack.call('GET', `/v1/invoices/${invoice.json.id}`, { token: apiKey });
    expect(detail.json.events.length).toBeGreaterThanOrEqual(2);
    conforms(invoiceDetailResponse, detail.json);
    const list = await stack.call('GET', '/v1/invoices?limit=1', { token: apiKey });
    expect(list.json.nextCursor).toEqual(expect.any(String));
    conforms(invoiceListResponse, list.json);
    const ipnLog = await stack.call('GET', '/v1/ipn-events', { token: apiKey });
    expect(ipnLog.json.data.map((e: { verdict: string }) => e.verdict)).toEqual(
      expect.arrayContaining(['verified', 'bad_signature', 'malformed']),
    );
    conforms(ipnEventListResponse, ipnLog.json);

    for (const failed of [
      await stack.call('GET', '/v1/invoices/inv_nobody', { token: apiKey }),
      await stack.call('POST', '/v1/products', { token: apiKey, body: { name: '' } }),
      await stack.call('GET', '/v1/merchant'),
    ]) {
      expect([404, 400, 401]).toContain(failed.status);
      conforms(errorResponse, failed.json);
    }
  });
});
