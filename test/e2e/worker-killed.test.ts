import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startService, type Service } from '../../lib/child-process';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/ports';
import { startStack, type Stack } from '../helpers/stack';
import { startTemporalProcess } from '../helpers/temporal';
import { ROOT } from '../helpers/tools';

const SECRET_KEY = 'worker-kill-secret';

/**
 * Worker processes killed (SIGKILL, by PID) in the middle of an activity: Temporal runs the activity again on
 * another worker once its attempt times out, and the effect happens once.
 */
describe('a worker killed in the middle of an activity', () => {
  jest.setTimeout(240_000);
  let dir: string;
  let temporalAddress: string;
  let temporal: Service;
  let stack: Stack;
  let apiKey: string;
  let merchantId: string;
  let productId: string;
  const workers: Service[] = [];

  async function startWorkerProcess(): Promise<Service> {
    let signalReady = () => {};
    const ready = new Promise<void>((resolve) => (signalReady = resolve));
    const worker = await startService(
      'worker',
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'worker/index.ts')],
      {
        env: stack.workerEnv(temporalAddress),
        log: (line) => line.includes('worker polling') && signalReady(),
      },
    );
    workers.push(worker);
    await Promise.race([ready, worker.exited.then(() => Promise.reject(new Error('worker exited while starting')))]);
    return worker;
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'payments-kill-'));
    const port = await freePort();
    temporalAddress = `127.0.0.1:${port}`;
    temporal = await startTemporalProcess(path.join(dir, 'temporal.db'), port);
    stack = await startStack({ temporalAddress, inProcessWorker: false });
    ({ apiKey, merchantId, productId } = await stack.newMerchant('KILL', SECRET_KEY));
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await stack?.close();
    await temporal?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('When the worker dies while asking 2Checkout, and another while writing the status, then the invoice is paid once', async () => {
    const first = await startWorkerProcess();
    const { id, refNo, body } = await stack.paidAtTwoCheckout({ apiKey, productId, secretKey: SECRET_KEY }, '990001');
    const releaseOrder = stack.twoCheckout.hold(refNo);
    const response = await stack.postIpn(merchantId, body);
    expect(response.status).toBe(200);

    // 1. The worker is inside handleIpn, asking 2Checkout (which has not answered): kill it.
    await eventually(() => (stack.twoCheckout.requests.includes(`GET /rest/6.0/orders/${refNo}/`) ? true : undefined));
    process.kill(first.pid, 'SIGKILL');
    await first.exited;

    // 2. The next worker retries handleIpn (after the attempt's 30 s timeout) and blocks writing the status, on a row
    //    this test holds locked: kill it there too.
    const trx = await stack.db.transaction();
    await trx('invoices').where({ id: id }).forUpdate().first();
    const second = await startWorkerProcess();
    releaseOrder();
    await eventually(
      async () => {
        const { rows } = await stack.db.raw<{ rows: unknown[] }>(
          "select 1 from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%from \"invoices\"%for update%'",
        );
        return rows.length > 0 ? true : undefined;
      },
      90_000,
      'handleIpn waiting on the locked invoice',
    );
    process.kill(second.pid, 'SIGKILL');
    await second.exited;
    await trx.rollback();

    // 3. A third worker finishes the job.
    await startWorkerProcess();
    await eventually(
      async () =>
        (await stack.call('GET', `/v1/invoices/${id}`, { token: apiKey })).json.status === 'paid' ? true : undefined,
      90_000,
      'paid',
    );
    const changes = await stack.db('invoice_events').where({ invoice_id: id, type: 'status_changed' });
    expect(changes.map((e: { to_status: string }) => e.to_status)).toEqual(['paid']);
    expect(await stack.db('invoice_events').where({ invoice_id: id, type: 'checkout_link_created' })).toHaveLength(1);
  });
});
