import express from 'express';
import {
  buildDynamicBuyLink,
  buildReadReceipt,
  buildRestAuthHeader,
  parseIpn,
  REST_AUTH_HEADER,
  verifyIpnSignature,
  type Ipn,
} from '../../lib/twocheckout';
import { createSandbox, type Sandbox } from '../../sandbox/app';
import { retryOffsetsMs } from '../../sandbox/ipn-sender';
import { eventually } from '../helpers/eventually';
import { listen } from '../helpers/listen';

const MERCHANT = {
  merchantCode: '250000000009',
  secretKey: 'Sëcret key',
  buyLinkSecretWord: 'buy-link word',
  name: 'Shop',
};

describe('the 2Checkout sandbox, over HTTP', () => {
  let sandbox: Sandbox;
  let sandboxHttp: Awaited<ReturnType<typeof listen>>;
  let listener: Awaited<ReturnType<typeof listen>>;
  /** How the merchant's IPN listener answers the nth IPN it gets (1-based). */
  let answer: (n: number, ipn: Ipn) => { status: number; body: string };
  const received: Ipn[] = [];

  beforeAll(async () => {
    sandbox = createSandbox({
      retryScale: 0.00001,
      settleDelayMs: 100,
      fetch: globalThis.fetch,
      clock: () => new Date(),
    });
    sandboxHttp = await listen(sandbox.app);
    const app = express();
    app.post('/ipn', express.raw({ type: () => true }), (req, res) => {
      const ipn = parseIpn(req.body as Buffer);
      received.push(ipn);
      const { status, body } = answer(received.length, ipn);
      res.status(status).send(body);
    });
    listener = await listen(app);
    const registered = await fetch(`${sandboxHttp.url}/api/merchants/${MERCHANT.merchantCode}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...MERCHANT, ipnUrl: `${listener.url}/ipn` }),
    });
    expect(registered.status).toBe(200);
  });
  beforeEach(() => {
    received.length = 0;
    answer = (_n, ipn) => ({ status: 200, body: buildReadReceipt(ipn, MERCHANT.secretKey, 'sha3-256', new Date()) });
  });
  afterAll(async () => {
    sandbox.stop();
    await sandboxHttp.close();
    await listener.close();
  });

  const link = (overrides: Partial<Parameters<typeof buildDynamicBuyLink>[0]> = {}) =>
    buildDynamicBuyLink({
      baseUrl: `${sandboxHttp.url}/checkout/buy/`,
      merchantCode: MERCHANT.merchantCode,
      buyLinkSecretWord: MERCHANT.buyLinkSecretWord,
      items: [{ name: 'Test product', price: '50.00', quantity: 1 }],
      currency: 'RUB',
      orderExtRef: `inv_${Math.random().toString(36).slice(2)}`,
      expiresAt: new Date(Date.now() + 3_600_000),
      test: true,
      ...overrides,
    });
  const pay = (url: string, card: string) =>
    fetch(`${sandboxHttp.url}/checkout/pay`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({
        link: new URL(url).search.slice(1),
        name: 'Jürgen 山田',
        email: 'b@example.com',
        card,
      }),
    });

  it('When a link is signed with another word, or has expired, then the checkout refuses it with a clear page', async () => {
    const forged = await fetch(link({ buyLinkSecretWord: 'wrong' }));
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('does not match the merchant&#39;s Buy-link Secret Word');
    const expired = await fetch(link({ expiresAt: new Date(Date.now() - 1000) }));
    expect(expired.status).toBe(400);
    expect(await expired.text()).toContain('This payment link has expired.');
    const good = await fetch(link());
    expect(good.status).toBe(200);
    expect(await good.text()).toContain('50.00 RUB');
  });

  it('When an order is paid, then its IPNs carry 2Checkout fields in order, all three signatures verify, and receipts are accepted', async () => {
    const response = await pay(link(), '4111111111111111');
    expect(response.status).toBe(200); // no return-url on this link: the thank-you page
    await eventually(() => (received.length === 3 ? true : undefined));
    const [pending, authorized, complete] = received;
    // a card payment starts PENDING (fraud check pending), is authorized, then completes
    expect(received.map((i) => i.get('ORDERSTATUS'))).toEqual(['PENDING', 'PAYMENT_AUTHORIZED', 'COMPLETE']);
    expect([pending!.get('FRAUD_STATUS'), authorized!.get('FRAUD_STATUS')]).toEqual(['PENDING', 'APPROVED']);
    expect(complete!.fields.map((f) => f.name).slice(-3)).toEqual(['HASH', 'SIGNATURE_SHA2_256', 'SIGNATURE_SHA3_256']);
    // as in 2Checkout's own IPN fixtures: MESSAGE_ID and MESSAGE_TYPE follow IPN_PGROUP_NAME[]; 8-digit product ids
    const names = complete!.fields.map((f) => f.name);
    expect(names.slice(names.indexOf('IPN_PGROUP_NAME'), names.indexOf('IPN_PGROUP_NAME') + 4)).toEqual([
      'IPN_PGROUP_NAME',
      'MESSAGE_ID',
      'MESSAGE_TYPE',
      'IPN_TOTAL',
    ]);
    expect(complete!.getAll('IPN_PID')).toEqual([expect.stringMatching(/^\d{8}$/)]);
    expect(complete!.get('FIRSTNAME')).toBe('Jürgen');
    for (const ipn of received) {
      expect(verifyIpnSignature(ipn, MERCHANT.secretKey, { allowMd5: false })).toEqual({
        ok: true,
        algorithm: 'sha3-256',
      });
    }
    const refNo = complete!.get('REFNO')!;
    // the last receipt is checked just after the listener answered
    const deliveries = await eventually(() => {
      const ds = sandbox.deliveries.filter((d) => d.refNo === refNo);
      return ds.every((d) => d.state !== 'pending') ? ds : undefined;
    });
    expect(deliveries.map((d) => [d.state, d.attempts.length])).toEqual([
      ['delivered', 1],
      ['delivered', 1],
      ['delivered', 1],
    ]);
  });

  it('When the listener answers without a valid receipt, then the IPN is retried on the schedule until one comes', async () => {
    answer = (n, ipn) =>
      n <= 3
        ? { status: 200, body: n === 1 ? 'OK' : buildReadReceipt(ipn, 'wrong key', 'sha3-256', new Date()) }
        : { status: 200, body: buildReadReceipt(ipn, MERCHANT.secretKey, 'sha3-256', new Date()) };
    const response = await pay(link({ orderExtRef: 'inv_retried' }), '4000000000000077'); // PENDING: one IPN now
    expect(response.status).toBe(200);
    const { refNo } = [...sandbox.orders.values()].find((o) => o.externalReference === 'inv_retried')!;
    const delivery = await eventually(() =>
      sandbox.deliveries.find((x) => x.refNo === refNo && x.orderStatus === 'PENDING' && x.state === 'delivered'),
    );
    expect(delivery.attempts.map((a) => a.receiptOk)).toEqual([false, false, false, true]);
    expect(delivery.attempts[0]!.error).toBe('no valid read receipt in the response');
  });

  it('When the listener never acknowledges, then the sandbox gives up after the last attempt of the two-day schedule', async () => {
    answer = () => ({ status: 500, body: 'down' });
    await pay(link(), '4000000000000077');
    const delivery = await eventually(() => sandbox.deliveries.find((x) => x.state === 'failed'), 30_000);
    expect(delivery.attempts).toHaveLength(retryOffsetsMs().length);
    expect(
      retryOffsetsMs()
        .slice(0, 8)
        .map((ms) => ms / 60_000),
    ).toEqual([0, 2.5, 5, 20, 35, 50, 65, 125]);
    expect(retryOffsetsMs().at(-1)).toBeLessThanOrEqual(48 * 3600_000);
  });

  it('When the REST API is called without valid authentication, then it is refused; with it, the order is answered', async () => {
    await pay(link({ orderExtRef: 'inv_rest' }), '4111111111111111');
    const order = [...sandbox.orders.values()].find((o) => o.externalReference === 'inv_rest')!;
    const url = `${sandboxHttp.url}/rest/6.0/orders/${order.refNo}/`;
    expect((await fetch(url)).status).toBe(401);
    const wrong = buildRestAuthHeader({ merchantCode: MERCHANT.merchantCode, secretKey: 'nope', now: new Date() });
    expect((await fetch(url, { headers: { [REST_AUTH_HEADER]: wrong } })).status).toBe(401);
    const auth = buildRestAuthHeader({
      merchantCode: MERCHANT.merchantCode,
      secretKey: MERCHANT.secretKey,
      now: new Date(),
    });
    const get = async () =>
      (await (await fetch(url, { headers: { [REST_AUTH_HEADER]: auth } })).json()) as Record<string, unknown>;
    // authorized at once, COMPLETE after the settle delay; amounts and OrderNo are JSON numbers
    expect(await get()).toMatchObject({ Status: 'AUTHRECEIVED', ApproveStatus: 'OK' });
    await eventually(async () => ((await get()).Status === 'COMPLETE' ? true : undefined));
    expect(await get()).toMatchObject({
      RefNo: order.refNo,
      OrderNo: expect.any(Number),
      ExternalReference: 'inv_rest',
      Status: 'COMPLETE',
      GrossPrice: 50,
      NetPrice: 50,
      Currency: 'RUB',
    });
    // MD5 authentication was retired on 15 August 2024
    const md5 = buildRestAuthHeader({ ...MERCHANT, now: new Date(), algorithm: 'md5' });
    const refused = await fetch(url, { headers: { [REST_AUTH_HEADER]: md5 } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ message: expect.stringContaining('MD5 is no longer accepted') });
    const search = async (query: string) => {
      const r = await fetch(`${sandboxHttp.url}/rest/6.0/orders/?ExternalRefNo=inv_rest${query}`, {
        headers: { [REST_AUTH_HEADER]: auth },
      });
      return ((await r.json()) as { Items: unknown[] }).Items;
    };
    // a test order (test=1 on the link) is found when test orders are asked for
    expect(await search('')).toHaveLength(0);
    expect(await search('&IncludeTestOrders=YES')).toHaveLength(1);
    expect(await search('&IncludeTestOrders=ONLY')).toHaveLength(1);
  });

  it('When the merchant refunds part and then the rest, then REFUND IPNs carry negative totals and the order ends REFUND', async () => {
    await pay(link({ orderExtRef: 'inv_refund' }), '4111111111111111');
    const order = [...sandbox.orders.values()].find((o) => o.externalReference === 'inv_refund')!;
    await eventually(() => (order.status === 'COMPLETE' ? true : undefined));
    const control = (action: string, body: unknown) =>
      fetch(`${sandboxHttp.url}/api/orders/${order.refNo}/${action}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await control('refund', { amount: '20.00' })).status).toBe(200);
    expect((await control('refund', { amount: '40.00' })).status).toBe(409);
    expect((await control('refund', {})).status).toBe(200);
    const refunds = await eventually(() => {
      const r = received.filter((i) => i.get('REFNO') === order.refNo && i.get('ORDERSTATUS') === 'REFUND');
      return r.length === 2 ? r : undefined;
    });
    expect(refunds.map((i) => [i.get('IPN_TOTALGENERAL'), i.get('REFUND_TYPE')])).toEqual([
      ['-20.00', 'PARTIAL'],
      ['-30.00', 'FULL'],
    ]);
    expect(order.status).toBe('REFUND');
  });
});
