import { randomUUID } from 'node:crypto';
import { ensureJanitorSchedule } from '../../lib/temporal';
import { janitorWorkflow } from '../../workflows/janitor';
import { JANITOR_SCHEDULE_ID, TASK_QUEUE } from '../../workflows/shared';
import { eventually } from '../helpers/eventually';
import { signedIpnBody } from '../helpers/ipn';
import { startStack, type Stack } from '../helpers/stack';

const SECRET_KEY = 'janitor-secret';

describe('the invoice janitor', () => {
  jest.setTimeout(120_000);
  let stack: Stack;
  let apiKey: string;
  let merchantId: string;
  let productId: string;

  beforeAll(async () => {
    stack = await startStack();
    ({ apiKey, merchantId, productId } = await stack.newMerchant('JANITOR', SECRET_KEY));
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('When the worker starts twice, then the janitor schedule exists once', async () => {
    expect(await ensureJanitorSchedule(stack.env.client, TASK_QUEUE, '10m')).toBe(true);
    expect(await ensureJanitorSchedule(stack.env.client, TASK_QUEUE, '10m')).toBe(false);
    const described = await stack.env.client.schedule.getHandle(JANITOR_SCHEDULE_ID).describe();
    expect(described.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'janitorWorkflow',
      taskQueue: TASK_QUEUE,
    });
  });

  it('When a payment in flight completes at 2Checkout but its COMPLETE IPN never comes, then the janitor finds it and it ends paid', async () => {
    const { json: created } = await stack.call('POST', '/v1/invoices', { token: apiKey, body: { productId } });
    const order = {
      RefNo: '880001',
      ExternalReference: created.id,
      Status: 'PENDING',
      ApproveStatus: 'OK',
      Currency: 'RUB',
      GrossPrice: '50.00',
      TestOrder: true,
    };
    stack.twoCheckout.orders.set('880001', order);
    await fetch(`${stack.apiUrl}/ipn/2checkout/${merchantId}`, {
      method: 'POST',
      body: signedIpnBody(SECRET_KEY, {
        refNo: '880001',
        invoiceId: created.id,
        orderStatus: 'PENDING',
        total: '50.00',
        currency: 'RUB',
      }),
    });
    const status = async () =>
      (await stack.call('GET', `/v1/invoices/${created.id}`, { token: apiKey })).json.status as string;
    await eventually(async () => ((await status()) === 'processing' ? true : undefined));

    stack.twoCheckout.orders.set('880001', { ...order, Status: 'COMPLETE' }); // and the IPN is lost
    const nudged = await stack.env.client.workflow.execute(janitorWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: `janitor-test-${randomUUID()}`,
      args: [{ processingForMs: 0, overdueForMs: 0 }],
    });
    expect(nudged).toBeGreaterThanOrEqual(1);
    await eventually(async () => ((await status()) === 'paid' ? true : undefined));
  });
});
