import { Client, Connection } from '@temporalio/client';
import knex from 'knex';
import { parseIpn, verifyReadReceipt } from '../../lib/twocheckout';
import { eventually } from '../helpers/eventually';
import { startStack, type Stack } from '../helpers/stack';

const SECRET_KEY = 'outage-secret';

/** DESIGN.md §4 under failure: the store is the commit point; a receipt is only given for what is stored. */
describe('IPNs during outages', () => {
  jest.setTimeout(120_000);
  let stack: Stack;
  let apiKey: string;
  let merchantId: string;
  let productId: string;
  let refNos = 700000;

  beforeAll(async () => {
    stack = await startStack();
    ({ apiKey, merchantId, productId } = await stack.newMerchant('OUTAGE', SECRET_KEY));
  });
  afterAll(async () => {
    await stack?.close();
  });

  const paidAtTwoCheckout = () =>
    stack.paidAtTwoCheckout({ apiKey, productId, secretKey: SECRET_KEY }, String(refNos++));
  const post = (body: string) => stack.postIpn(merchantId, body);
  const statusOf = (id: string) => stack.statusOf(apiKey, id);

  it('When Temporal cannot be reached while an IPN arrives, then it is acknowledged and stored, and applied once Temporal is back', async () => {
    const { id, refNo, body } = await paidAtTwoCheckout();
    const temporal = stack.deps.temporal;
    stack.deps.temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 }) });
    try {
      const response = await post(body);
      expect(response.status).toBe(200);
      expect(verifyReadReceipt(parseIpn(Buffer.from(body)), SECRET_KEY, await response.text(), 'sha3-256')).toBe(true);
      await eventually(async () => {
        const e = await stack.db('ipn_events').where({ refno: refNo }).first();
        return e?.delivery_attempts >= 2 ? e : undefined; // the fast path and the relay both tried
      });
      expect(await stack.db('ipn_events').where({ refno: refNo }).first()).toMatchObject({ delivery_state: 'pending' });
      expect(await statusOf(id)).toBe('awaiting_payment');
    } finally {
      stack.deps.temporal = temporal;
    }
    await eventually(async () => ((await statusOf(id)) === 'paid' ? true : undefined));
    expect(await stack.db('ipn_events').where({ refno: refNo }).first()).toMatchObject({ delivery_state: 'delivered' });
  });

  it('When PostgreSQL cannot be reached, then 503 without a receipt; 2Checkout retries and the IPN lands once', async () => {
    const { id, refNo, body } = await paidAtTwoCheckout();
    const db = stack.deps.db;
    const down = knex({
      client: 'pg',
      connection: 'postgres://nobody@127.0.0.1:1/none',
      acquireConnectionTimeout: 1000,
    });
    stack.deps.db = down;
    try {
      const response = await post(body);
      expect(response.status).toBe(503);
      expect(await response.text()).not.toMatch(/<EPAYMENT>|<sig /);
    } finally {
      stack.deps.db = db;
      await down.destroy();
    }
    expect(await stack.db('ipn_events').where({ refno: refNo })).toEqual([]);
    const retried = await post(body);
    expect(retried.status).toBe(200);
    await eventually(async () => ((await statusOf(id)) === 'paid' ? true : undefined));
    expect(
      await stack.db('invoice_events').where({ invoice_id: id, type: 'status_changed' }).count({ n: '*' }),
    ).toEqual([{ n: 1 }]);
  });
});
