import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startService, type Service } from '../../lib/child-process';
import { parseIpn, verifyReadReceipt } from '../../lib/twocheckout';
import { eventually } from '../helpers/eventually';
import { signedIpnBody } from '../helpers/ipn';
import { freePort } from '../helpers/ports';
import { ADMIN_TOKEN, startStack, type Stack } from '../helpers/stack';
import { startTemporalProcess } from '../helpers/temporal';
import { ROOT } from '../helpers/tools';

const SECRET_KEY = 'real-outage-secret';

/**
 * DESIGN.md §4 with the real processes stopped and started again: a Temporal dev server and a PostgreSQL of this
 * suite's own, each stopped by its PID while IPNs arrive.
 */
describe('IPNs while Temporal or PostgreSQL is really down', () => {
  jest.setTimeout(180_000);
  let dir: string;
  let pgPort: number;
  let pg: Service;
  let temporalPort: number;
  let temporal: Service;
  let stack: Stack;
  let apiKey: string;
  let merchantId: string;
  let productId: string;
  let refNos = 900000;

  const startTemporal = () => startTemporalProcess(path.join(dir, 'temporal.db'), temporalPort);
  /** PostgreSQL in a process of its own, so that stopping it is stopping a PID. */
  const startPostgres = async () => {
    let signalReady = () => {};
    const ready = new Promise<void>((resolve) => (signalReady = resolve));
    const script = path.join(ROOT, 'scripts/embedded-postgres.ts');
    const service = await startService(
      'postgres',
      process.execPath,
      ['--import', 'tsx', script, path.join(dir, 'pg'), String(pgPort)],
      {
        log: (line) => line.includes('ready postgres://') && signalReady(),
      },
    );
    const died = service.exited.then(() => Promise.reject(new Error('embedded PostgreSQL did not start')));
    await Promise.race([ready, died]);
    died.catch(() => {}); // once ready, a later exit is the test's own doing
    return service;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'payments-outage-'));
    [pgPort, temporalPort] = [await freePort(), await freePort()];
    pg = await startPostgres();
    temporal = await startTemporal();
    stack = await startStack({
      postgresUrl: `postgres://postgres:postgres@127.0.0.1:${pgPort}/postgres`,
      temporalAddress: `127.0.0.1:${temporalPort}`,
    });
    const merchant = await stack.call('POST', '/v1/merchants', {
      token: ADMIN_TOKEN,
      body: {
        name: 'Shop',
        twocheckout: {
          merchantCode: 'REAL',
          secretKey: SECRET_KEY,
          buyLinkSecretWord: 'w',
          environment: 'sandbox',
          testOrders: true,
        },
      },
    });
    ({ apiKey, id: merchantId } = merchant.json);
    stack.merchants.set('REAL', SECRET_KEY);
    productId = (
      await stack.call('POST', '/v1/products', { token: apiKey, body: { name: 'P', price: '50.00', currency: 'RUB' } })
    ).json.id;
  });
  afterAll(async () => {
    await stack?.close();
    await temporal?.stop();
    await pg?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function paidAtTwoCheckout() {
    const { json: created } = await stack.call('POST', '/v1/invoices', { token: apiKey, body: { productId } });
    const refNo = String(refNos++);
    stack.twoCheckout.orders.set(refNo, {
      RefNo: refNo,
      ExternalReference: created.id,
      Status: 'COMPLETE',
      ApproveStatus: 'OK',
      Currency: 'RUB',
      GrossPrice: '50.00',
      TestOrder: true,
    });
    const body = signedIpnBody(SECRET_KEY, {
      refNo,
      invoiceId: created.id,
      orderStatus: 'COMPLETE',
      total: '50.00',
      currency: 'RUB',
    });
    return { id: created.id as string, refNo, body };
  }
  const post = (body: string) => fetch(`${stack.apiUrl}/ipn/2checkout/${merchantId}`, { method: 'POST', body });
  const statusOf = async (id: string) =>
    (await stack.call('GET', `/v1/invoices/${id}`, { token: apiKey })).json.status as string;

  it('When the Temporal server is stopped while an IPN arrives, then it is acknowledged and stored, and applied once Temporal is back', async () => {
    const { id, refNo, body } = await paidAtTwoCheckout();
    await temporal.stop();
    const response = await post(body);
    expect(response.status).toBe(200);
    expect(verifyReadReceipt(parseIpn(Buffer.from(body)), SECRET_KEY, await response.text(), 'sha3-256')).toBe(true);
    expect(await stack.db('ipn_events').where({ refno: refNo }).first()).toMatchObject({ delivery_state: 'pending' });
    expect(await statusOf(id)).toBe('awaiting_payment');

    temporal = await startTemporal();
    await eventually(
      async () => ((await statusOf(id)) === 'paid' ? true : undefined),
      90_000,
      'paid after Temporal came back',
    );
    expect(await stack.db('ipn_events').where({ refno: refNo }).first()).toMatchObject({ delivery_state: 'delivered' });
  });

  it('When PostgreSQL is stopped, then the IPN gets 503 without a receipt; 2Checkout retries after it is back and it lands once', async () => {
    const { id, refNo, body } = await paidAtTwoCheckout();
    await pg.stop();
    const response = await post(body);
    expect(response.status).toBe(503);
    expect(await response.text()).not.toMatch(/<EPAYMENT>|<sig /);

    pg = await startPostgres();
    expect(await stack.db('ipn_events').where({ refno: refNo })).toEqual([]);
    const retried = await post(body);
    expect(retried.status).toBe(200);
    await eventually(
      async () => ((await statusOf(id)) === 'paid' ? true : undefined),
      60_000,
      'paid after PostgreSQL came back',
    );
    expect(
      await stack.db('invoice_events').where({ invoice_id: id, type: 'status_changed' }).count({ n: '*' }),
    ).toEqual([{ n: 1 }]);
  });
});
