import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import type { OpenedInvoice, Transition } from '../../activities/invoices';
import { ALLOWED_FROM, type TwoCheckoutOrder } from '../../workflows/decide';
import { invoiceWorkflow } from '../../workflows/invoice';
import {
  ERRORS,
  paymentEventSignal,
  SEARCH_ATTRIBUTES,
  recheckSignal,
  stateQuery,
  type InvoiceStatus,
  type PaymentEvent,
} from '../../workflows/shared';
import { eventually } from '../helpers/eventually';
import { buildOrder } from '../helpers/factories';
import { installQuietRuntime } from '../helpers/temporal';
import { TEMPORAL_TEST_SERVER } from '../helpers/tools';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';

const DAY = 24 * 3600 * 1000;

/** Activities replaced by an in-memory invoice that obeys the same conditional writes as the database. */
function fakeActivities(opts: { expiresAt: Date; orders: Map<string, TwoCheckoutOrder>; unreachableFor?: number }) {
  let unreachable = opts.unreachableFor ?? 0;
  let status: InvoiceStatus = 'awaiting_payment';
  let late = false;
  let refundedMinor = 0;
  const refundsCounted = new Map<number, number>(); // IPN id → its refund's audit row
  const transitions: Transition[] = [];
  const outcomes: [number, string][] = [];
  const calls: string[] = [];
  const activities: Pick<
    Activities,
    | 'openInvoice'
    | 'changeInvoiceStatus'
    | 'recordIpnOutcome'
    | 'fetchTwoCheckoutOrder'
    | 'findTwoCheckoutOrdersOfInvoice'
    | 'recordRefund'
  > = {
    recordRefund: (r) => {
      // Like the database: a refund already counted answers with its audit row, so a retry still learns of it.
      const counted = refundsCounted.get(r.ipnEventId) ?? null;
      if (counted !== null || !['paid', 'partially_refunded', 'disputed'].includes(status)) {
        return Promise.resolve({ status, late, refundedMinor, changed: false, auditEventId: counted, announce: false });
      }
      refundsCounted.set(r.ipnEventId, 1000 + r.ipnEventId);
      refundedMinor = Math.min(5000, refundedMinor + r.amountMinor);
      status = refundedMinor >= 5000 ? 'refunded' : 'partially_refunded';
      transitions.push({
        invoiceId: r.invoiceId,
        to: status,
        reason: 'refund',
        cause: r.cause,
        ipnEventId: r.ipnEventId,
      });
      return Promise.resolve({
        status,
        late,
        refundedMinor,
        changed: true,
        auditEventId: 1000 + r.ipnEventId,
        announce: false,
      });
    },
    openInvoice: (): Promise<OpenedInvoice> =>
      Promise.resolve({
        status,
        reason: null,
        late,
        amountMinor: 5000,
        currency: 'RUB',
        expiresAt: opts.expiresAt.toISOString(),
        checkoutUrl: 'https://secure.2checkout.com/checkout/buy?signature=x',
        refNo: null,
        acceptTestOrders: false,
      }),
    changeInvoiceStatus: (t) => {
      if (!ALLOWED_FROM[t.to].includes(status))
        return Promise.resolve({ status, late, changed: false, auditEventId: null, announce: false });
      transitions.push(t);
      status = t.to;
      late = t.late ?? late;
      return Promise.resolve({ status, late, changed: true, auditEventId: null, announce: false });
    },
    recordIpnOutcome: (id, outcome) => {
      outcomes.push([id, outcome]);
      return Promise.resolve();
    },
    fetchTwoCheckoutOrder: ({ refNo }) => {
      calls.push(`fetchTwoCheckoutOrder ${refNo}`);
      if (unreachable-- > 0)
        throw ApplicationFailure.retryable('2Checkout API unreachable (fetch failed)', ERRORS.twoCheckoutUnreachable);
      return Promise.resolve(opts.orders.get(refNo) ?? null);
    },
    findTwoCheckoutOrdersOfInvoice: ({ invoiceId }) => {
      calls.push(`findTwoCheckoutOrdersOfInvoice ${invoiceId}`);
      return Promise.resolve([...opts.orders.values()].filter((o) => o.externalReference === invoiceId));
    },
  };
  return { activities, transitions, outcomes, calls };
}

const order = (refNo: string, overrides: Partial<TwoCheckoutOrder> = {}) => buildOrder({ refNo, ...overrides });

const event = (
  ipnEventId: number,
  refNo: string,
  orderStatus = 'COMPLETE',
  more: Partial<PaymentEvent> = {},
): PaymentEvent => ({
  ipnEventId,
  refNo,
  orderStatus,
  ipnDate: '20261128120000',
  testOrder: false,
  total: '50.00',
  currency: 'RUB',
  chargebackResolution: 'NONE',
  ...more,
});

describe('invoiceWorkflow with mocked activities, on the time-skipping server', () => {
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

  async function run(
    orders: Map<string, TwoCheckoutOrder>,
    drive: (h: Awaited<ReturnType<typeof start>>) => Promise<void>,
    more: { unreachableFor?: number } = {},
  ) {
    const expiresAt = new Date((await env.currentTimeMs()) + DAY);
    const fake = fakeActivities({ expiresAt, orders, ...more });
    const taskQueue = `wf-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../../workflows'),
      activities: fake.activities,
    });
    const startedAt = await env.currentTimeMs();
    const result = await worker.runUntil(async () => {
      const handle = await start(taskQueue);
      await drive(handle);
      return handle.result();
    });
    return { ...fake, result, elapsedMs: (await env.currentTimeMs()) - startedAt };
  }
  const start = (taskQueue: string) =>
    env.client.workflow.start(invoiceWorkflow, {
      taskQueue,
      workflowId: `invoice-inv_1-${randomUUID()}`,
      args: [{ invoiceId: 'inv_1', merchantId: 'mer_1' }],
    });

  it('When no payment comes for 24 h and 2Checkout has no order, then it expires at the deadline and closes after the grace period', async () => {
    const { transitions, calls, result, elapsedMs } = await run(new Map(), async () => {});
    expect(result).toEqual({ status: 'expired', late: false });
    expect(transitions.map((t) => t.to)).toEqual(['expired']);
    expect(calls).toEqual(['findTwoCheckoutOrdersOfInvoice inv_1']);
    expect(elapsedMs).toBeGreaterThanOrEqual(DAY + 2 * DAY);
  });

  it('When a COMPLETE IPN arrives and 2Checkout confirms the order, then it is paid, once, even if the IPN is delivered twice', async () => {
    const orders = new Map([['R1', order('R1')]]);
    const { transitions, outcomes, calls, result } = await run(orders, async (h) => {
      await h.signal(paymentEventSignal, event(1, 'R1'));
      await h.signal(paymentEventSignal, event(1, 'R1'));
    });
    expect(result).toEqual({ status: 'paid', late: false });
    expect(transitions.map((t) => [t.to, t.refNo, t.ipnEventId])).toEqual([['paid', 'R1', 1]]);
    expect(calls).toEqual(['fetchTwoCheckoutOrder R1']);
    expect(outcomes).toEqual([[1, 'paid: paid']]);
  });

  it('When an IPN names an order 2Checkout does not confirm, then nothing changes and the invoice later expires', async () => {
    const { transitions, outcomes, result } = await run(new Map(), async (h) => {
      await h.signal(paymentEventSignal, event(7, 'R404'));
      await env.sleep(60_000);
      expect(await h.query(stateQuery)).toMatchObject({
        status: 'awaiting_payment',
        reason: expect.stringMatching(/^waiting for an IPN since .*; expires at /),
      });
    });
    expect(outcomes).toEqual([[7, 'not_confirmed: 2Checkout has no such order']]);
    expect(transitions.map((t) => t.to)).toEqual(['expired']);
    expect(result.status).toBe('expired');
  });

  it('When the amount 2Checkout reports differs, then it needs review, never paid', async () => {
    const orders = new Map([
      ['R2', order('R2', { netMinor: 50, netPrice: '0.50', grossMinor: 50, grossPrice: '0.50' })],
    ]);
    const { transitions, result } = await run(orders, async (h) => {
      await h.signal(paymentEventSignal, event(2, 'R2'));
    });
    expect(result.status).toBe('needs_review');
    expect(transitions[0]?.reason).toBe('2Checkout order R2: amount 0.50 RUB ≠ 50.00 RUB');
  });

  it('When a verified payment arrives after expiry, then it is paid late', async () => {
    const orders = new Map<string, TwoCheckoutOrder>();
    const { transitions, result } = await run(orders, async (h) => {
      await env.sleep(DAY + 3600 * 1000);
      expect((await h.query(stateQuery)).status).toBe('expired');
      orders.set('R3', order('R3'));
      await h.signal(paymentEventSignal, event(3, 'R3'));
    });
    expect(transitions.map((t) => [t.to, t.late])).toEqual([
      ['expired', undefined],
      ['paid', true],
    ]);
    expect(result).toEqual({ status: 'paid', late: true });
  });

  it('When part of a paid invoice is refunded, then the rest, then it is partially refunded, then refunded; a repeated refund IPN counts once', async () => {
    const orders = new Map([['R6', order('R6')]]);
    const { transitions, result } = await run(orders, async (h) => {
      await h.signal(paymentEventSignal, event(10, 'R6'));
      await h.signal(paymentEventSignal, event(11, 'R6', 'REFUND', { total: '-20.00' }));
      await h.signal(paymentEventSignal, event(11, 'R6', 'REFUND', { total: '-20.00' }));
      await h.signal(paymentEventSignal, event(12, 'R6', 'REFUND', { total: '-30.00' }));
    });
    expect(transitions.map((t) => t.to)).toEqual(['paid', 'partially_refunded', 'refunded']);
    expect(result.status).toBe('refunded');
  });

  it('When a chargeback opens and is won, then disputed then paid; when one is lost, then charged back', async () => {
    const won = await run(new Map([['R7', order('R7')]]), async (h) => {
      await h.signal(paymentEventSignal, event(20, 'R7'));
      await h.signal(paymentEventSignal, event(21, 'R7', 'COMPLETE', { chargebackResolution: 'OPEN' }));
      await h.signal(paymentEventSignal, event(22, 'R7', 'COMPLETE', { chargebackResolution: 'WON' }));
    });
    expect(won.transitions.map((t) => t.to)).toEqual(['paid', 'disputed', 'paid']);
    const lost = await run(new Map([['R8', order('R8')]]), async (h) => {
      await h.signal(paymentEventSignal, event(30, 'R8'));
      await h.signal(paymentEventSignal, event(31, 'R8', 'COMPLETE', { chargebackResolution: 'OPEN' }));
      await h.signal(paymentEventSignal, event(32, 'R8', 'COMPLETE', { chargebackResolution: 'LOST' }));
    });
    expect(lost.transitions.map((t) => t.to)).toEqual(['paid', 'disputed', 'charged_back']);
  });

  it('When 2Checkout reverses a paid order, then the invoice fails; a PENDING after COMPLETE changes nothing', async () => {
    const orders = new Map([['R9', order('R9')]]);
    const { transitions } = await run(orders, async (h) => {
      await h.signal(paymentEventSignal, event(40, 'R9'));
      await h.signal(paymentEventSignal, event(41, 'R9', 'PENDING'));
      await env.sleep(60_000);
      orders.set('R9', order('R9', { status: 'REVERSED' }));
      await h.signal(paymentEventSignal, event(42, 'R9', 'REVERSED'));
    });
    expect(transitions.map((t) => t.to)).toEqual(['paid', 'failed']);
  });

  const ORDER_OF_IPNS = ['PENDING', 'PAYMENT_AUTHORIZED', 'COMPLETE'];
  const permutations = (xs: string[]): string[][] =>
    xs.length <= 1
      ? [xs]
      : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));

  it.each(permutations(ORDER_OF_IPNS))(
    'When the IPNs come as %s, %s, %s while 2Checkout completes the order, then it ends paid and never goes back',
    async (...statuses: string[]) => {
      const orders = new Map([['RP', order('RP', { status: 'PENDING' })]]);
      const { transitions, result } = await run(orders, async (h) => {
        for (const [i, s] of statuses.entries()) {
          // 2Checkout's API says what is true when it is asked: PENDING until the COMPLETE IPN is on its way.
          if (s === 'COMPLETE') orders.set('RP', order('RP'));
          await h.signal(paymentEventSignal, event(100 + i, 'RP', s));
          await env.sleep(1000);
        }
      });
      expect(result.status).toBe('paid');
      const seen = transitions.map((t) => t.to);
      expect(seen[seen.length - 1]).toBe('paid');
      expect(seen.filter((s) => s === 'paid')).toHaveLength(1);
      expect(seen.every((s) => s === 'processing' || s === 'paid')).toBe(true);
    },
  );

  it('When the IPN reports another amount while the API agrees with the invoice, then it needs review', async () => {
    const { transitions, result } = await run(new Map([['RA', order('RA')]]), async (h) => {
      await h.signal(paymentEventSignal, event(200, 'RA', 'COMPLETE', { total: '0.50' }));
    });
    expect(result.status).toBe('needs_review');
    expect(transitions.map((t) => t.reason)).toEqual(['the IPN says 0.50 RUB ≠ 50.00 RUB']);
  });

  it('When an IPN has an unknown ORDERSTATUS, then it needs review', async () => {
    const { result, outcomes } = await run(new Map([['RU', order('RU')]]), async (h) => {
      await h.signal(paymentEventSignal, event(300, 'RU', 'TELEPORTED'));
    });
    expect(result.status).toBe('needs_review');
    expect(outcomes).toEqual([[300, 'needs_review: needs_review']]);
  });

  it('When the janitor nudges an invoice in processing, then it asks 2Checkout at once instead of within the hour', async () => {
    const orders = new Map([['RJ', order('RJ', { status: 'PENDING' })]]);
    const { transitions, calls } = await run(orders, async (h) => {
      await h.signal(paymentEventSignal, event(400, 'RJ', 'PENDING'));
      await env.sleep(1000);
      orders.set('RJ', order('RJ'));
      await h.signal(recheckSignal);
      await env.sleep(1000);
      expect((await h.query(stateQuery)).status).toBe('paid');
    });
    expect(transitions.map((t) => t.to)).toEqual(['processing', 'paid']);
    expect(calls).toEqual(['fetchTwoCheckoutOrder RJ', 'findTwoCheckoutOrdersOfInvoice inv_1']);
  });

  it('When a payment is in flight at the deadline, then the invoice does not expire and turns paid when it completes', async () => {
    const orders = new Map([['R4', order('R4', { status: 'PENDING' })]]);
    const { transitions, result } = await run(orders, async (h) => {
      await h.signal(paymentEventSignal, event(4, 'R4', 'PENDING'));
      await env.sleep(DAY + 3 * 3600 * 1000);
      expect((await h.query(stateQuery)).status).toBe('processing');
      orders.set('R4', order('R4'));
      await h.signal(paymentEventSignal, event(5, 'R4', 'COMPLETE'));
    });
    expect(transitions.map((t) => t.to)).toEqual(['processing', 'paid']);
    expect(result).toEqual({ status: 'paid', late: false });
  });

  it("When 2Checkout's API cannot be reached, then the state query says which attempt failed and when the next is, and the invoice is paid once it answers", async () => {
    const orders = new Map([['R1', order('R1')]]);
    let whileRetrying = '';
    let afterwards = '';
    const { calls, result } = await run(
      orders,
      async (h) => {
        await h.signal(paymentEventSignal, event(1, 'R1'));
        whileRetrying = await eventually(async () => {
          const { reason } = await h.query(stateQuery);
          return /attempt 2,/.test(reason) ? reason : undefined;
        });
        afterwards = await eventually(async () => {
          const { status, reason } = await h.query(stateQuery);
          return status === 'paid' ? reason : undefined;
        }, 60_000);
      },
      { unreachableFor: 3 },
    );
    expect(whileRetrying).toMatch(
      /^2Checkout API unreachable \(fetch failed\); attempt 2, next at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    expect(afterwards).toBe("2Checkout order R1 verified COMPLETE with 2Checkout's API");
    expect(calls).toEqual(Array(4).fill('fetchTwoCheckoutOrder R1'));
    expect(result).toEqual({ status: 'paid', late: false });
  });
});
