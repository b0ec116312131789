import { ipnStoredSignal, TASK_QUEUE, workflowIdOf } from '../../workflows/shared';
import { eventually } from '../helpers/eventually';
import { signedIpnBody } from '../helpers/ipn';
import { startStack, type Stack } from '../helpers/stack';

/**
 * Anyone who reaches Temporal's frontend can signal a workflow. A signal carries a stored IPN's id only; whatever
 * else it says (an order status, a total, a replay flag) is never read, and an id that is not a verified IPN of the
 * invoice is ignored. So a forged signal changes no money fact.
 */
describe('forged signals to an invoice workflow', () => {
  jest.setTimeout(120_000);
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('When a paid invoice is signalled a refund with its own IPN id, or with another merchant’s refund IPN, then nothing changes', async () => {
    const m = await stack.newMerchant('FORGED', 'forged-key');
    const paid = await stack.paidAtTwoCheckout({ ...m, secretKey: 'forged-key' }, 'FORGED-1');
    expect((await stack.postIpn(m.merchantId, paid.body)).status).toBe(200);
    await eventually(async () => ((await stack.statusOf(m.apiKey, paid.id)) === 'paid' ? true : undefined));
    const own = await stack.db('ipn_events').where({ refno: 'FORGED-1' }).first('id');

    // another merchant's genuine refund IPN, naming this invoice
    const other = await stack.newMerchant('OTHER', 'other-key');
    const refund = signedIpnBody('other-key', {
      refNo: 'FORGED-1',
      invoiceId: paid.id,
      orderStatus: 'REFUND',
      total: '-50.00',
      currency: 'RUB',
      messageId: '1',
    });
    expect((await stack.postIpn(other.merchantId, refund)).status).toBe(200);
    const theirs = await stack.db('ipn_events').where({ merchant_id: other.merchantId }).first('id');

    const handle = stack.env.client.workflow.getHandle(workflowIdOf(paid.id));
    await eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined));
    const forged = [
      { ipnEventId: own.id, orderStatus: 'REFUND', total: '-50.00', currency: 'RUB', replay: true },
      { ipnEventId: theirs.id, replay: true },
    ];
    for (const signal of forged) {
      await stack.env.client.workflow.signalWithStart('invoiceWorkflow', {
        workflowId: workflowIdOf(paid.id),
        taskQueue: TASK_QUEUE,
        args: [
          {
            invoiceId: paid.id,
            merchantId: m.merchantId,
            expiresAt: new Date().toISOString(),
            known: { status: 'paid', late: false, refNo: 'FORGED-1', revision: 1 },
          },
        ],
        signal: ipnStoredSignal,
        signalArgs: [signal as { ipnEventId: number }],
      });
      // the run that signal started has handled it and ended
      await eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined));
    }
    const invoice = await stack.db('invoices').where({ id: paid.id }).first();
    expect(invoice).toMatchObject({ status: 'paid', refunded_minor: 0, revision: 1 });
    expect(
      await stack.db('invoice_events').where({ invoice_id: paid.id }).whereIn('type', ['status_changed', 'refund']),
    ).toHaveLength(1);
  });
});
