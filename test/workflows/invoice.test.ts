import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import type { Activities } from '../../activities';
import type { InvoiceStatus } from '../../lib/invoice';
import { invoiceWorkflow } from '../../workflows/invoice';
import {
  cancelUpdate,
  ERRORS,
  ipnStoredSignal,
  recheckSignal,
  SEARCH_ATTRIBUTES,
  type InvoiceOutcome,
} from '../../workflows/shared';
import { installQuietRuntime } from '../helpers/temporal';
import { TEMPORAL_TEST_SERVER } from '../helpers/tools';

const DAY = 24 * 3600 * 1000;
const HOUR = 3600 * 1000;

/**
 * The invoice's activities played by a script: what PostgreSQL and 2Checkout would answer is the test's to say
 * (the activities themselves run against both in test/integration). Every call is recorded with its time.
 */
function scripted(answers: {
  handleIpn?: (ipnEventId: number) => InvoiceStatus | Error;
  reconcile?: () => InvoiceStatus;
  now: () => Promise<number>;
}) {
  let revision = 0;
  let status: InvoiceStatus = 'awaiting_payment';
  const calls: { at: number; what: string }[] = [];
  const outcome = (next: InvoiceStatus): InvoiceOutcome => {
    if (next !== status) [status, revision] = [next, revision + 1];
    return { status, late: false, refNo: null, revision };
  };
  const activities: Pick<Activities, 'handleIpn' | 'reconcileInvoice' | 'cancelInvoice'> = {
    async handleIpn(input) {
      calls.push({ at: await answers.now(), what: `handleIpn ${JSON.stringify(input)}` });
      const next = answers.handleIpn?.(input.ipnEventId) ?? status;
      if (next instanceof Error) throw next;
      return outcome(next);
    },
    async reconcileInvoice() {
      calls.push({ at: await answers.now(), what: 'reconcileInvoice' });
      return outcome(answers.reconcile?.() ?? status);
    },
    async cancelInvoice() {
      calls.push({ at: await answers.now(), what: 'cancelInvoice' });
      if (status !== 'awaiting_payment')
        throw ApplicationFailure.nonRetryable(`Invoice is ${status}`, ERRORS.notCancelable);
      return outcome('canceled');
    },
  };
  return { activities, calls, what: () => calls.map((c) => c.what) };
}

describe('invoiceWorkflow on the time-skipping server: one timer per wait, one activity per event, then it ends', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    installQuietRuntime();
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: TEMPORAL_TEST_SERVER } },
    });
    // The time-skipping server cannot list search attributes (lib/temporal.ts ensureSearchAttributes): add them all.
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(
        Object.values(SEARCH_ATTRIBUTES).map((k) => [k.name, encodeSearchAttributeIndexedValueType(k.type)!]),
      ),
    });
  });
  afterAll(async () => {
    await env?.teardown();
  });

  /** Runs one invoice's workflow with scripted activities; `drive` signals it, and may wait for its end. */
  async function run(
    answers: Omit<Parameters<typeof scripted>[0], 'now'>,
    drive: (h: Awaited<ReturnType<typeof start>>, what: () => string[]) => Promise<void>,
    input: { maxHistoryEvents?: number } = {},
  ) {
    const script = scripted({ ...answers, now: () => env.currentTimeMs() });
    const taskQueue = `wf-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../../workflows'),
      activities: script.activities,
    });
    const startedAt = await env.currentTimeMs();
    const { result, history } = await worker.runUntil(async () => {
      const handle = await start(taskQueue, new Date(startedAt + DAY), input);
      await drive(handle, script.what);
      const result = await handle.result();
      return { result, history: (await handle.fetchHistory()).events ?? [] };
    });
    return { ...script, result, history, startedAt };
  }
  const start = (taskQueue: string, expiresAt: Date, more: { maxHistoryEvents?: number }) =>
    env.client.workflow.start(invoiceWorkflow, {
      taskQueue,
      workflowId: `invoice-inv_1-${randomUUID()}`,
      args: [
        {
          invoiceId: 'inv_1',
          merchantId: 'mer_1',
          expiresAt: expiresAt.toISOString(),
          known: { status: 'awaiting_payment', late: false, refNo: null, revision: 0 },
          ...more,
        },
      ],
    });
  const timers = (history: { timerStartedEventAttributes?: unknown }[]) =>
    history.filter((e) => e.timerStartedEventAttributes).length;

  it('When no payment comes, then at the deadline 2Checkout is asked once, the invoice expires and the run ends, with one timer', async () => {
    const { calls, result, history, startedAt } = await run({ reconcile: () => 'expired' }, async () => {});
    expect(calls.map((c) => [c.what, c.at - startedAt >= DAY])).toEqual([['reconcileInvoice', true]]);
    expect(result.status).toBe('expired');
    expect(timers(history)).toBe(1);
  });

  it('When an IPN is delivered twice, then it is handled once; replayed by ops, again; nothing but its id reaches the activity', async () => {
    const { what, result, history } = await run(
      { handleIpn: (id) => (id === 7 ? 'processing' : 'paid') },
      async (h) => {
        await h.signal(ipnStoredSignal, { ipnEventId: 7 });
        await h.signal(ipnStoredSignal, { ipnEventId: 7 });
        await h.signal(ipnStoredSignal, { ipnEventId: 7, replay: true });
        // a forged signal: money facts beside an id, or no usable id at all
        const forged = { ipnEventId: 8, orderStatus: 'REFUND', total: '-50.00', currency: 'RUB' };
        await h.signal(ipnStoredSignal, { ipnEventId: '9' as unknown as number });
        await h.signal(ipnStoredSignal, forged);
      },
    );
    expect(what()).toEqual([
      'handleIpn {"invoiceId":"inv_1","ipnEventId":7}',
      'handleIpn {"invoiceId":"inv_1","ipnEventId":7}',
      'handleIpn {"invoiceId":"inv_1","ipnEventId":8}',
    ]);
    expect(result.status).toBe('paid');
    expect(timers(history)).toBe(1); // signals did not renew the wait
  });

  it('When a payment is in flight, then 2Checkout is asked hourly; the janitor asks at once; the run ends once paid', async () => {
    let reconciled = 0;
    const { calls, result, startedAt } = await run(
      { handleIpn: () => 'processing', reconcile: () => (++reconciled === 3 ? 'paid' : 'processing') },
      async (h) => {
        await h.signal(ipnStoredSignal, { ipnEventId: 1 });
        await h.signal(recheckSignal);
      },
    );
    expect(calls.map((c) => c.what)).toEqual([
      'handleIpn {"invoiceId":"inv_1","ipnEventId":1}',
      ...Array(3).fill('reconcileInvoice'),
    ]);
    // the janitor's nudge at once; then the hourly re-check, twice
    expect(calls[1]!.at - startedAt).toBeLessThan(HOUR);
    expect(calls[3]!.at - calls[2]!.at).toBeGreaterThanOrEqual(HOUR);
    expect(result.status).toBe('paid');
  });

  it('When 2Checkout cannot be reached, then the activity is retried by its policy, without a timer in the history', async () => {
    let attempts = 0;
    const unreachable = ApplicationFailure.retryable('2Checkout API unreachable', ERRORS.twoCheckoutUnreachable);
    const { result, history } = await run({ handleIpn: () => (++attempts < 4 ? unreachable : 'paid') }, (h) =>
      h.signal(ipnStoredSignal, { ipnEventId: 1 }),
    );
    expect(attempts).toBe(4);
    expect(result.status).toBe('paid');
    expect(timers(history)).toBe(1);
  });

  it('When the merchant cancels, then the run ends canceled; a cancel of an invoice no longer awaiting payment is refused', async () => {
    const canceled = await run({}, async (h) => {
      expect(await h.executeUpdate(cancelUpdate, { args: [{ reason: 'sold out' }] })).toMatchObject({
        status: 'canceled',
      });
    });
    expect(canceled.result.status).toBe('canceled');

    const paid = await run({ handleIpn: () => 'processing', reconcile: () => 'paid' }, async (h, what) => {
      await h.signal(ipnStoredSignal, { ipnEventId: 1 });
      while (what().length === 0) await env.sleep(1000); // the IPN handled: the invoice is processing
      await env.sleep(1000);
      await expect(h.executeUpdate(cancelUpdate, { args: [{}] })).rejects.toHaveProperty(
        'cause.message',
        'Only an invoice awaiting payment can be canceled; this one is processing',
      );
      await h.signal(recheckSignal);
    });
    expect(paid.what()).not.toContain('cancelInvoice');
  });

  it('When an invoice gets hundreds of IPNs, then the run continues as new and each IPN is handled once', async () => {
    const { what, result, history } = await run(
      { handleIpn: (id) => (id === 300 ? 'paid' : 'processing') },
      async (h) => {
        for (let id = 1; id <= 300; id++) await h.signal(ipnStoredSignal, { ipnEventId: id });
      },
      { maxHistoryEvents: 200 },
    );
    expect(what()).toEqual(
      Array.from({ length: 300 }, (_, i) => `handleIpn {"invoiceId":"inv_1","ipnEventId":${i + 1}}`),
    );
    expect(result.status).toBe('paid');
    expect(history.length).toBeLessThan(300); // the last run's history only
  });
});
