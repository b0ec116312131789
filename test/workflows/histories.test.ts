import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Worker } from '@temporalio/worker';
import { webhookWorkflowIdOf, workflowIdOf } from '../../workflows/shared';
import { eventually } from '../helpers/eventually';
import { signedIpnBody } from '../helpers/ipn';
import { startStack, type Stack } from '../helpers/stack';
import { TEMPORAL_CLI } from '../helpers/tools';

const FIXTURES = path.join(__dirname, '../fixtures/histories');
const RECORD = process.env.RECORD_HISTORIES === '1';

/**
 * Workflows live for months (DESIGN.md §7): a change to workflows/ must replay every history recorded from real runs,
 * or be made behind `patched()`. The committed fixtures are replayed first; then every path runs for real on the dev
 * server and its fresh history is replayed too. `RECORD_HISTORIES=1 npx jest test/workflows/histories.test.ts`
 * writes the fresh ones as fixtures (README: "Changing the workflow").
 */
describe('recorded histories replay on the workflow code of today', () => {
  jest.setTimeout(180_000);

  it('When the committed histories of every path are replayed, then none fails with a non-determinism error', async () => {
    const files = (await readdir(FIXTURES)).filter((f) => f.endsWith('.json')).sort();
    expect(files.length).toBeGreaterThanOrEqual(10);
    const histories = await Promise.all(
      files.map(async (file) => ({
        workflowId: path.basename(file, '.json'),
        history: JSON.parse(await readFile(path.join(FIXTURES, file), 'utf8')) as unknown,
      })),
    );
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: require.resolve('../../workflows') },
      histories,
    ))
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    expect(failures).toEqual([]);
  });

  describe('every path, run for real', () => {
    let stack: Stack;
    let m: Awaited<ReturnType<Stack['newMerchant']>>;
    let clockOffsetMs = 0;
    const key = 'histories-key';
    const fresh = new Map<string, unknown>();
    let webhookReceiver: ReturnType<typeof createServer>;

    beforeAll(async () => {
      stack = await startStack({ apiClock: () => new Date(Date.now() + clockOffsetMs) });
      m = await stack.newMerchant('HISTORIES', key);
      webhookReceiver = createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
      await new Promise((r) => webhookReceiver.once('listening', r));
    });
    afterAll(async () => {
      webhookReceiver?.close();
      await stack?.close();
    });

    const invoiceOf = async (id: string) => (await stack.call('GET', `/v1/invoices/${id}`, { token: m.apiKey })).json;
    const settles = (id: string, status: string) =>
      eventually(async () => ((await invoiceOf(id)).status === status ? true : undefined), 60_000, `${id} ${status}`);
    /** The history of the workflow's latest run, once it is completed, as `temporal workflow show` writes it. */
    async function record(name: string, workflowId: string) {
      const handle = stack.env.client.workflow.getHandle(workflowId);
      await eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined));
      const { stdout } = await promisify(execFile)(
        TEMPORAL_CLI,
        ['workflow', 'show', '--workflow-id', workflowId, '--address', stack.env.address, '--output', 'json'],
        { maxBuffer: 64 << 20 },
      );
      fresh.set(name, JSON.parse(stdout));
      if (RECORD) await writeFile(path.join(FIXTURES, `${name}.json`), stdout.endsWith('\n') ? stdout : `${stdout}\n`);
    }
    const ipn = (invoiceId: string, refNo: string, more: Partial<Parameters<typeof signedIpnBody>[1]> = {}) =>
      stack.postIpn(
        m.merchantId,
        signedIpnBody(key, { refNo, invoiceId, orderStatus: 'COMPLETE', total: '50.00', currency: 'RUB', ...more }),
      );
    const order = (refNo: string, invoiceId: string, status = 'COMPLETE', gross = '50.00') =>
      stack.twoCheckout.orders.set(refNo, {
        RefNo: refNo,
        ExternalReference: invoiceId,
        Status: status,
        ApproveStatus: 'OK',
        Currency: 'RUB',
        GrossPrice: gross,
        TestOrder: true,
      });
    async function expiringInvoice() {
      clockOffsetMs = -58_000; // expiresIn 60 s from a clock 58 s behind: due in 2 s
      try {
        return (
          await stack.call('POST', '/v1/invoices', { token: m.apiKey, body: { productId: m.productId, expiresIn: 60 } })
        ).json as { id: string };
      } finally {
        clockOffsetMs = 0;
      }
    }
    const newInvoice = async () =>
      (await stack.call('POST', '/v1/invoices', { token: m.apiKey, body: { productId: m.productId } })).json as {
        id: string;
      };

    it('When each path runs, then it ends as it should and its history replays', async () => {
      // paid, by one COMPLETE IPN
      const paid = await newInvoice();
      order('H-PAID', paid.id);
      await ipn(paid.id, 'H-PAID');
      await settles(paid.id, 'paid');
      await record('paid', workflowIdOf(paid.id));

      // paid after PENDING
      const pending = await newInvoice();
      order('H-PENDING', pending.id, 'PENDING');
      await ipn(pending.id, 'H-PENDING', { orderStatus: 'PENDING' });
      await settles(pending.id, 'processing');
      order('H-PENDING', pending.id);
      await ipn(pending.id, 'H-PENDING', { ipnDate: '20261128120020' });
      await settles(pending.id, 'paid');
      await record('paid-after-pending', workflowIdOf(pending.id));

      // expired; then a late payment starts a run of its own
      const late = await expiringInvoice();
      await settles(late.id, 'expired');
      await record('expired', workflowIdOf(late.id));
      order('H-LATE', late.id);
      await ipn(late.id, 'H-LATE');
      await settles(late.id, 'paid');
      await record('late-payment', workflowIdOf(late.id));

      // canceled by the merchant
      const canceled = await newInvoice();
      await stack.call('POST', `/v1/invoices/${canceled.id}/cancel`, { token: m.apiKey, body: {} });
      await settles(canceled.id, 'canceled');
      await record('canceled', workflowIdOf(canceled.id));

      // refunded, in a run of its own after the payment's
      await ipn(paid.id, 'H-PAID', { orderStatus: 'REFUND', total: '-50.00', messageId: '100000000001' });
      await settles(paid.id, 'refunded');
      await record('refund', workflowIdOf(paid.id));

      // a chargeback opened on a paid invoice
      await ipn(pending.id, 'H-PENDING', { chargebackResolution: 'OPEN', ipnDate: '20261128130000' });
      await settles(pending.id, 'disputed');
      await record('chargeback', workflowIdOf(pending.id));

      // 2Checkout reports another amount: a person looks
      const review = await newInvoice();
      order('H-REVIEW', review.id, 'COMPLETE', '0.50');
      await ipn(review.id, 'H-REVIEW');
      await settles(review.id, 'needs_review');
      await record('needs-review', workflowIdOf(review.id));

      // 2Checkout refuses us, then answers
      const down = await newInvoice();
      order('H-DOWN', down.id);
      stack.merchants.set('HISTORIES', 'a key 2Checkout has now');
      await ipn(down.id, 'H-DOWN');
      await eventually(async () => (/attempt 2,/.test((await invoiceOf(down.id)).statusReason) ? true : undefined));
      stack.merchants.set('HISTORIES', key);
      await settles(down.id, 'paid');
      await record('twocheckout-down-then-up', workflowIdOf(down.id));

      // a merchant with webhooks: the status change is announced by a workflow of its own
      const url = `http://127.0.0.1:${(webhookReceiver.address() as AddressInfo).port}/hook`;
      await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { webhookUrl: url } });
      const announced = await newInvoice();
      order('H-HOOK', announced.id);
      await ipn(announced.id, 'H-HOOK');
      await settles(announced.id, 'paid');
      await record('webhook-invoice', workflowIdOf(announced.id));
      const [event] = await stack
        .db('invoice_events')
        .where({ invoice_id: announced.id, type: 'status_changed' })
        .pluck<number[]>('id');
      await record('webhook', webhookWorkflowIdOf(event!));

      // the merchant asks for a refund of a paid invoice: a run of its own sends it to 2Checkout
      const refunded = await newInvoice();
      order('H-REFUND', refunded.id);
      await ipn(refunded.id, 'H-REFUND');
      await settles(refunded.id, 'paid');
      const asked = await stack.call('POST', `/v1/invoices/${refunded.id}/refunds`, {
        token: m.apiKey,
        body: { amount: '50.00' },
        headers: { 'Idempotency-Key': 'histories-refund' },
      });
      expect(asked.status).toBe(202);
      await eventually(async () =>
        (await invoiceOf(refunded.id)).refunds[0]?.status === 'pending' ? true : undefined,
      );
      await record('refund-requested', workflowIdOf(refunded.id));

      const failures: string[] = [];
      for await (const result of Worker.runReplayHistories(
        { workflowsPath: require.resolve('../../workflows') },
        [...fresh].map(([workflowId, history]) => ({ workflowId, history })),
      ))
        if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
      expect(failures).toEqual([]);
      expect([...fresh.keys()]).toHaveLength(12);
    });
  });
});
