import { workflowIdOf } from '../../workflows/shared';
import { eventually } from '../helpers/eventually';
import { signedIpnBody } from '../helpers/ipn';
import { startStack, type Stack } from '../helpers/stack';
import { searchAttributeBecomes } from '../helpers/temporal';
import { standInOrder } from '../helpers/twocheckout-stand-in';

const SECRET_KEY = 'late-events-secret';

/** Payments that come late: after expiry, after the workflow closed, at the very moment of expiry. */
describe('late payments on the real dev server', () => {
  jest.setTimeout(120_000);
  let stack: Stack;
  let apiKey: string;
  let merchantId: string;
  let productId: string;
  let clockOffsetMs = 0;
  let refNos = 500000;

  beforeAll(async () => {
    // A run ends once its invoice settles, so a late IPN finds it closed and starts another.
    stack = await startStack({ apiClock: () => new Date(Date.now() + clockOffsetMs) });
    ({ apiKey, merchantId, productId } = await stack.newMerchant('LATE', SECRET_KEY));
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** An invoice due `inMs` from now, through the real API (its clock set back). */
  async function invoiceDueIn(inMs: number) {
    clockOffsetMs = -(60_000 - inMs);
    try {
      return (await stack.call('POST', '/v1/invoices', { token: apiKey, body: { productId, expiresIn: 60 } })).json;
    } finally {
      clockOffsetMs = 0;
    }
  }
  const invoice = async (id: string) => (await stack.call('GET', `/v1/invoices/${id}`, { token: apiKey })).json;
  const payAtTwoCheckout = (invoiceId: string) => {
    const refNo = String(refNos++);
    stack.twoCheckout.orders.set(refNo, standInOrder(refNo, invoiceId));
    return fetch(`${stack.apiUrl}/ipn/2checkout/${merchantId}`, {
      method: 'POST',
      body: signedIpnBody(SECRET_KEY, { refNo, invoiceId, orderStatus: 'COMPLETE', total: '50.00', currency: 'RUB' }),
    });
  };
  const runsOf = async (invoiceId: string) => {
    const runs: string[] = [];
    for await (const wf of stack.env.client.workflow.list({ query: `InvoiceId = "${invoiceId}"` }))
      runs.push(wf.status.name);
    return runs;
  };

  it('When a verified payment arrives after the invoice expired and its workflow closed, then a new run makes it paid, late', async () => {
    const created = await invoiceDueIn(1000);
    await eventually(async () => ((await invoice(created.id)).status === 'expired' ? true : undefined));
    const handle = stack.env.client.workflow.getHandle(workflowIdOf(created.id));
    await eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined));

    expect((await payAtTwoCheckout(created.id)).status).toBe(200);
    const paid = await eventually(async () => {
      const i = await invoice(created.id);
      return i.status === 'paid' ? i : undefined;
    });
    expect(paid.late).toBe(true);
    expect(
      paid.events.filter((e: { type: string }) => e.type === 'status_changed').map((e: { to: string }) => e.to),
    ).toEqual(['expired', 'paid']);
    await searchAttributeBecomes(stack.env.client, created.id, 'paid');
    await eventually(async () => ((await runsOf(created.id)).length === 2 ? true : undefined));
  });

  it('When the payment lands at the very moment of expiry, then there is exactly one outcome, the same in PostgreSQL and Temporal', async () => {
    const created = await invoiceDueIn(1500);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(created.expiresAt) - Date.now())));
    expect((await payAtTwoCheckout(created.id)).status).toBe(200);
    const settled = await eventually(async () => {
      const i = await invoice(created.id);
      return i.status === 'paid' ? i : undefined;
    });
    const changes = settled.events
      .filter((e: { type: string }) => e.type === 'status_changed')
      .map((e: { to: string }) => e.to);
    expect([['paid'], ['expired', 'paid']]).toContainEqual(changes);
    expect(settled.late).toBe(changes.length === 2);
    await searchAttributeBecomes(stack.env.client, created.id, 'paid');
  });
});
