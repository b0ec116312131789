import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startService, type Service } from '../../lib/child-process';
import { removeEmbeddedPostgresData } from '../../lib/embedded-postgres';
import { parseIpn, verifyReadReceipt } from '../../lib/twocheckout';
import { workflowIdOf } from '../../workflows/shared';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/ports';
import { startStack, type Stack } from '../helpers/stack';
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
    ({ apiKey, merchantId, productId } = await stack.newMerchant('REAL', SECRET_KEY));
  });
  afterAll(async () => {
    await stack?.close();
    await temporal?.stop();
    await pg?.stop();
    await removeEmbeddedPostgresData(path.join(dir, 'pg'));
    await rm(dir, { recursive: true, force: true });
  });

  const paidAtTwoCheckout = () =>
    stack.paidAtTwoCheckout({ apiKey, productId, secretKey: SECRET_KEY }, String(refNos++));
  const post = (body: string) => stack.postIpn(merchantId, body);
  const statusOf = (id: string) => stack.statusOf(apiKey, id);

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

  it('When the dev server is killed with SIGKILL and started again, then an open invoice is still waiting, and pays', async () => {
    const { id, body } = await paidAtTwoCheckout();
    const handle = stack.env.client.workflow.getHandle(workflowIdOf(id));
    await eventually(async () =>
      (await handle.fetchHistory()).events?.some((e) => e.timerStartedEventAttributes) ? true : undefined,
    );
    // no goodbye: the SQLite file in WAL mode (synchronous=normal) must hold what was committed
    process.kill(temporal.pid, 'SIGKILL');
    await temporal.exited;
    temporal = await startTemporal();
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect((await post(body)).status).toBe(200);
    await eventually(
      async () => ((await statusOf(id)) === 'paid' ? true : undefined),
      90_000,
      'paid after the dev server was killed',
    );
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
