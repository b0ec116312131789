import type { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES, workflowIdOf } from '../../workflows/shared';
import { eventually } from '../helpers/eventually';
import { signedIpnBody } from '../helpers/ipn';
import { startStack } from '../helpers/stack';
import { searchAttributeBecomes } from '../helpers/temporal';

type Stack = Awaited<ReturnType<typeof startStack>>;

/** The summary ops read beside an event in the Temporal UI (user metadata, a JSON string payload). */
function summaryOf(e: temporal.api.history.v1.IHistoryEvent): string {
  const data = e.userMetadata?.summary?.data;
  return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as string) : '(none)';
}

/** An invoice workflow's history as ops read it in the Temporal UI: signals, activities and child workflows. */
function story(events: temporal.api.history.v1.IHistoryEvent[]): string[] {
  return events.flatMap((e) => {
    if (e.workflowExecutionSignaledEventAttributes)
      return [`signal ${e.workflowExecutionSignaledEventAttributes.signalName}`];
    if (e.activityTaskScheduledEventAttributes) return [e.activityTaskScheduledEventAttributes.activityType!.name!];
    if (e.startChildWorkflowExecutionInitiatedEventAttributes)
      return [`child ${e.startChildWorkflowExecutionInitiatedEventAttributes.workflowType!.name}`];
    if (e.timerStartedEventAttributes) return [`timer: ${summaryOf(e)}`];
    if (e.workflowExecutionCompletedEventAttributes) return ['completed'];
    return [];
  });
}

describe('The Temporal UI as the ops console', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const ids = async (query: string) => {
    const found: string[] = [];
    for await (const w of stack.env.client.workflow.list({ query })) found.push(w.workflowId);
    return found.sort();
  };
  /** Visibility follows the workflow by a moment: wait until the query lists `count` workflows. */
  const listed = (query: string, count: number) =>
    eventually(async () => {
      const found = await ids(query);
      return found.length === count ? found : undefined;
    });

  it('When 2Checkout refuses our credentials, then the API and the pending activity say so, with the attempt and the next one, until it answers', async () => {
    const m = await stack.newMerchant('OPSREFUSED', 'ops-key-1');
    const paid = await stack.paidAtTwoCheckout({ ...m, secretKey: 'ops-key-1' }, 'OPS-R1');
    stack.merchants.set('OPSREFUSED', 'a-key-2checkout-has-now'); // 2Checkout answers 401 to our signature
    expect((await stack.postIpn(m.merchantId, paid.body)).status).toBe(200);

    const shown = await eventually(async () => {
      const { json } = await stack.call('GET', `/v1/invoices/${paid.id}`, { token: m.apiKey });
      return /attempt 2,/.test(json.statusReason) ? json : undefined;
    });
    expect(shown).toMatchObject({
      status: 'awaiting_payment',
      statusReason: expect.stringMatching(
        /^2Checkout refused our authentication \(HTTP 401\): check the merchant code and Secret Key; attempt 2, next at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
      ),
    });
    // the Temporal UI shows the same on the pending activity: its attempt and its last failure
    const [pendingActivity] = (await stack.env.client.workflow.getHandle(workflowIdOf(paid.id)).describe()).raw
      .pendingActivities!;
    expect(pendingActivity!.attempt).toBeGreaterThanOrEqual(2);
    expect(pendingActivity!.lastFailure!.message).toMatch(/^2Checkout refused our authentication \(HTTP 401\)/);

    stack.merchants.set('OPSREFUSED', 'ops-key-1');
    const done = await eventually(async () => {
      const { json } = await stack.call('GET', `/v1/invoices/${paid.id}`, { token: m.apiKey });
      return json.status === 'paid' ? json : undefined;
    }, 30_000);
    expect(done.statusReason).toBe("2Checkout order OPS-R1 verified COMPLETE with 2Checkout's API");
  });

  it('When an invoice is paid, then its history reads as its story, short, its run completes, and ops find it by invoice, merchant, status and RefNo', async () => {
    const m = await stack.newMerchant('OPSSTORY', 'ops-key-2');
    const paid = await stack.paidAtTwoCheckout({ ...m, secretKey: 'ops-key-2' }, 'OPS-S1');
    const handle = stack.env.client.workflow.getHandle(workflowIdOf(paid.id));
    // a fresh invoice: started, one workflow task, its one timer
    const fresh = await eventually(async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      return events.some((e) => e.timerStartedEventAttributes) ? events : undefined;
    });
    expect(fresh.length).toBeLessThanOrEqual(8);

    await stack.postIpn(m.merchantId, paid.body);
    await searchAttributeBecomes(stack.env.client, paid.id, 'paid');
    // paid: the run has nothing left to wait for and completes
    const history = await eventually(async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      return events.some((e) => e.workflowExecutionCompletedEventAttributes) ? events : undefined;
    });
    expect(story(history)).toEqual([
      'timer: until the invoice expires',
      'signal ipnReceived',
      'handleIpn',
      'completed',
    ]);
    // the IPN: its signal, one activity, their workflow tasks and one search-attribute upsert
    expect(history.length - fresh.length - 1).toBeLessThanOrEqual(11);
    const described = await handle.describe();
    expect(described.status.name).toBe('COMPLETED');
    expect(await described.staticSummary()).toBe('50.00 RUB · Shop');

    const attributes = (await handle.describe()).typedSearchAttributes;
    expect(attributes.get(SEARCH_ATTRIBUTES.invoiceId)).toBe(paid.id);
    expect(attributes.get(SEARCH_ATTRIBUTES.merchantId)).toBe(m.merchantId);
    expect(attributes.get(SEARCH_ATTRIBUTES.twoCheckoutRefNo)).toBe('OPS-S1');
    expect(attributes.get(SEARCH_ATTRIBUTES.invoiceLate)).toBe(false);
    expect(attributes.get(SEARCH_ATTRIBUTES.invoiceStatusChangedAt)).toBeInstanceOf(Date);

    // The README's queries, as ops type them in the UI.
    const wf = workflowIdOf(paid.id);
    expect(await listed(`InvoiceId = '${paid.id}'`, 1)).toEqual([wf]);
    expect(await listed(`MerchantId = '${m.merchantId}' AND InvoiceStatus = 'paid'`, 1)).toEqual([wf]);
    expect(await listed(`TwoCheckoutRefNo = 'OPS-S1'`, 1)).toEqual([wf]);
    expect(await ids(`MerchantId = '${m.merchantId}' AND InvoiceStatus = 'processing'`)).toEqual([]);
  });

  it('When a payment comes after the invoice was canceled, then ops find it with InvoiceLate = true', async () => {
    const m = await stack.newMerchant('OPSLATE', 'ops-key-3');
    const paid = await stack.paidAtTwoCheckout({ ...m, secretKey: 'ops-key-3' }, 'OPS-L1');
    const canceled = await stack.call('POST', `/v1/invoices/${paid.id}/cancel`, { token: m.apiKey, body: {} });
    expect(canceled.json.status).toBe('canceled');
    await stack.postIpn(m.merchantId, paid.body);
    await searchAttributeBecomes(stack.env.client, paid.id, 'paid');
    expect(await listed(`MerchantId = '${m.merchantId}' AND InvoiceLate = true`, 1)).toEqual([workflowIdOf(paid.id)]);
  });

  it('When a payment is in flight, then "stuck in processing" finds it by how long its status has not changed', async () => {
    const m = await stack.newMerchant('OPSSTUCK', 'ops-key-4');
    const paid = await stack.paidAtTwoCheckout({ ...m, secretKey: 'ops-key-4' }, 'OPS-P1');
    stack.twoCheckout.orders.set('OPS-P1', { ...stack.twoCheckout.orders.get('OPS-P1')!, Status: 'PENDING' });
    const pending = signedIpnBody('ops-key-4', {
      refNo: 'OPS-P1',
      invoiceId: paid.id,
      orderStatus: 'PENDING',
      total: '50.00',
      currency: 'RUB',
    });
    expect((await stack.postIpn(m.merchantId, pending)).status).toBe(200);
    await searchAttributeBecomes(stack.env.client, paid.id, 'processing');
    const query = (before: Date) =>
      `MerchantId = '${m.merchantId}' AND InvoiceStatus = 'processing' AND InvoiceStatusChangedAt < '${before.toISOString()}'`;
    expect(await ids(query(new Date(Date.now() - 3600_000)))).toEqual([]);
    expect(await listed(query(new Date(Date.now() + 1000)), 1)).toEqual([workflowIdOf(paid.id)]);
  });
});
