import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection, WorkflowClient } from '@temporalio/client';
import knex from 'knex';
import { migrationSource } from '../../lib/db';
import { removeEmbeddedPostgresData } from '../../lib/embedded-postgres';
import { SEARCH_ATTRIBUTES } from '../../workflows/shared';
import { eventually } from '../helpers/eventually';
import { isRunning, run, startOnFreePorts, type Watched } from '../helpers/processes';
import { scrape } from '../helpers/prometheus';
import { ROOT } from '../helpers/tools';

/** `npm start`'s program, in one process (no npm, no tsx wrapper), so the PID we signal is the one that stops things. */
function start(env: NodeJS.ProcessEnv): Watched {
  return run(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
}

async function stopWithCtrlC(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  return exited;
}

describe('npm start', () => {
  jest.setTimeout(240_000);

  it('When started on a fresh data folder, then PostgreSQL, Temporal with its UI, the sandbox, the worker and the api come up and the demo merchant is paid; Ctrl-C stops every process; a restart keeps the data', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'payments-start-'));
    const { ports, env: onFreePorts } = await startOnFreePorts();
    const { postgres: pgPort, temporal: temporalPort, temporalUi: uiPort, api: apiPort } = ports;
    const { sandbox: sandboxPort, workerMetrics: workerMetricsPort } = ports;
    const env = { ...onFreePorts, DATA_DIR: dataDir };

    // First run: everything from nothing.
    const first = start(env);
    await first.waitFor('payments: ready');
    expect(first.output()).toContain(`Temporal UI   http://127.0.0.1:${uiPort}`);
    expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);

    // The api, the worker and the sandbox are up: the demo merchant sells, a buyer pays, the invoice turns paid.
    const api = `http://127.0.0.1:${apiPort}`;
    const adminToken = /admin token: ([\w-]+)\)/.exec(first.output())![1]!;
    const demoKey = /demo merchant test key: ([\w-]+),/.exec(first.output())![1]!;
    const post = async (path: string, token: string, body: unknown) => {
      const r = await fetch(`${api}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: r.status, json: (await r.json()) as Record<string, any> };
    };
    const admin = await fetch(`${api}/v1/merchants`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${adminToken}` },
    });
    expect(admin.status).toBe(400); // the admin token is accepted; the empty body is not
    const product = await post('/v1/products', demoKey, { name: 'Test product', price: '50.00', currency: 'RUB' });
    const order = await fetch(`${api}/order/${product.json.id}`, { redirect: 'manual' });
    const checkout = order.headers.get('location')!;
    expect(checkout).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${sandboxPort}/checkout/buy/\\?merchant=DEMOSHOP&`));
    expect((await fetch(checkout)).status).toBe(200);
    const paid = await fetch(`http://127.0.0.1:${sandboxPort}/checkout/pay`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({
        link: new URL(checkout).search.slice(1),
        name: 'Иван Петров',
        email: 'b@example.com',
        card: '4111111111111111',
      }),
    });
    expect(paid.status).toBe(302);
    const invoiceId = new URL(checkout).searchParams.get('order-ext-ref')!;
    await eventually(
      async () => {
        const r = await fetch(`${api}/v1/invoices/${invoiceId}`, { headers: { Authorization: `Bearer ${demoKey}` } });
        return ((await r.json()) as { status: string }).status === 'paid' ? true : undefined;
      },
      30_000,
      'the demo invoice paid',
    );

    // The processes log JSON lines, are ready, and count what they did: the 2Checkout look-up that paid it.
    expect(first.output()).toMatch(/\[worker\] \{"level":"info",.*"msg":"worker polling task queue /);
    expect(first.output()).toContain(`worker http://127.0.0.1:${workerMetricsPort}/metrics`);
    expect((await fetch(`${api}/readyz`)).status).toBe(200);
    const workerMetrics = await scrape(`http://127.0.0.1:${workerMetricsPort}/metrics`);
    // the SDK's own, beside ours: workflow cache, task latencies, polls
    expect(workerMetrics.families.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^temporal_sticky_cache/),
        expect.stringMatching(/^temporal_workflow_task/),
      ]),
    );
    expect(
      workerMetrics.value('twocheckout_api_requests_total', { operation: 'get_order', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(1);
    const apiMetrics = await scrape(`${api}/metrics`, adminToken);
    expect(apiMetrics.value('ipn_received_total', { verdict: 'accepted' })).toBeGreaterThanOrEqual(1);
    expect(apiMetrics.value('invoices', { status: 'paid' })).toBe(1);

    const db = knex({ client: 'pg', connection: `postgres://postgres:postgres@127.0.0.1:${pgPort}/payments` });
    expect(Number((await db('knex_migrations').count({ n: '*' }))[0]!.n)).toBe(
      (await migrationSource.getMigrations([])).length,
    );
    await db.destroy();

    const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(Object.keys(customAttributes)).toEqual(
      expect.arrayContaining(Object.values(SEARCH_ATTRIBUTES).map((k) => k.name)),
    );
    // A second sandbox merchant with an open invoice: after a restart, the sandbox must still know it.
    const shop = await post('/v1/merchants', adminToken, {
      name: 'Second shop',
      twocheckout: {
        merchantCode: 'SECONDSHOP',
        secretKey: 'second-shop-secret-key',
        buyLinkSecretWord: 'second-shop-buy-link-word',
        environment: 'sandbox',
        testOrders: true,
      },
    });
    expect(shop.status).toBe(201);
    const shopProduct = await post('/v1/products', shop.json.apiKey, { name: 'Tea', price: '5.00', currency: 'EUR' });
    const openCheckout = (await fetch(`${api}/order/${shopProduct.json.id}`, { redirect: 'manual' })).headers.get(
      'location',
    )!;
    expect((await fetch(openCheckout)).status).toBe(200);

    // A workflow with no worker stays open: after a restart it must still be there.
    const client = new WorkflowClient({ connection });
    await client.start('survivesRestart', { taskQueue: 'nobody-polls', workflowId: 'survives-restart' });
    await connection.close();

    const pids = [
      first.child.pid!,
      Number((await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]),
      Number(/Temporal dev server pid (\d+)/.exec(first.output())![1]),
      Number(/worker pid (\d+)/.exec(first.output())![1]),
      Number(/api pid (\d+)/.exec(first.output())![1]),
      Number(/sandbox pid (\d+)/.exec(first.output())![1]),
    ];
    expect(pids.every(isRunning)).toBe(true);

    await stopWithCtrlC(first.child);
    expect(pids.filter(isRunning)).toEqual([]);

    // Second run: same data, nothing to migrate, the workflow is still known to Temporal.
    const second = start(env);
    await second.waitFor('payments: ready');
    expect(second.output()).toContain('database schema is up to date');
    expect(second.output()).toContain(`admin token: ${adminToken})`);
    expect(second.output()).toContain(`demo merchant test key: ${demoKey},`);
    const again = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    const described = await new WorkflowClient({ connection: again }).getHandle('survives-restart').describe();
    expect(described.status.name).toBe('RUNNING');
    await again.close();
    // The sandbox kept its merchants, orders and IPN log (DATA_DIR/sandbox.json), as 2Checkout does.
    expect((await fetch(openCheckout)).status).toBe(200);
    const sandboxOrders = (await (await fetch(`http://127.0.0.1:${sandboxPort}/api/orders`)).json()) as {
      data: { ExternalReference: string }[];
    };
    expect(sandboxOrders.data.map((o) => o.ExternalReference)).toContain(invoiceId);
    await stopWithCtrlC(second.child);
    expect(isRunning(second.child.pid!)).toBe(false);
    await removeEmbeddedPostgresData(path.join(dataDir, 'postgres'));
    await rm(dataDir, { recursive: true, force: true });
  });
});
