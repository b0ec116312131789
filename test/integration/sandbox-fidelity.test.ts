import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import {
  buildDynamicBuyLink,
  buildReadReceipt,
  buildRestAuthHeader,
  parseIpn,
  REST_AUTH_HEADER,
  verifyIpnSignature,
  type HmacAlgorithm,
  type Ipn,
} from '../../lib/twocheckout';
import { createSandbox, type Sandbox, type SandboxDeps } from '../../sandbox/app';
import { eventually } from '../helpers/eventually';
import { listen } from '../helpers/listen';

const MERCHANT = { merchantCode: '250000000077', secretKey: 'fidelity key', buyLinkSecretWord: 'fidelity word' };
const DAY = 86_400_000;

/**
 * The sandbox in the details where it must behave like 2Checkout for a passing test to mean something: search
 * windows, negative reversal totals, resends, receipts, taxes, time zones, and what it keeps across a restart.
 */
describe('the 2Checkout sandbox, where it must behave like 2Checkout', () => {
  let now: number;
  let receiptAlgorithm: HmacAlgorithm;
  const received: Ipn[] = [];
  let listener: Awaited<ReturnType<typeof listen>>;
  const running: { sandbox: Sandbox; http: Awaited<ReturnType<typeof listen>> }[] = [];

  beforeAll(async () => {
    const app = express();
    app.post('/ipn', express.raw({ type: () => true }), (req, res) => {
      const ipn = parseIpn(req.body as Buffer);
      received.push(ipn);
      res.send(buildReadReceipt(ipn, MERCHANT.secretKey, receiptAlgorithm, new Date()));
    });
    listener = await listen(app);
  });
  beforeEach(() => {
    now = Date.parse('2026-07-01T21:30:00Z');
    receiptAlgorithm = 'sha3-256';
    received.length = 0;
  });
  afterEach(async () => {
    for (const { sandbox, http } of running.splice(0)) {
      sandbox.stop();
      await http.close();
    }
  });
  afterAll(() => listener.close());

  /** A sandbox on a clock the test moves, with one merchant registered. */
  async function start(deps: Partial<SandboxDeps> = {}, merchant: Record<string, unknown> = {}) {
    const sandbox = createSandbox({
      retryScale: 0.00001,
      settleDelayMs: 50,
      fetch: globalThis.fetch,
      clock: () => new Date(now),
      ...deps,
    });
    const http = await listen(sandbox.app);
    running.push({ sandbox, http });
    const put = await fetch(`${http.url}/api/merchants/${MERCHANT.merchantCode}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...MERCHANT, ipnUrl: `${listener.url}/ipn`, ...merchant }),
    });
    expect(put.status).toBe(200);
    const link = (invoiceId: string, test = false) =>
      buildDynamicBuyLink({
        baseUrl: `${http.url}/checkout/buy/`,
        merchantCode: MERCHANT.merchantCode,
        buyLinkSecretWord: MERCHANT.buyLinkSecretWord,
        items: [{ name: 'Test product', price: '50.00', quantity: 1 }],
        currency: 'RUB',
        orderExtRef: invoiceId,
        expiresAt: new Date(now + 3_600_000),
        test,
      });
    const pay = async (invoiceId: string, card = '4111111111111111') => {
      const r = await fetch(`${http.url}/checkout/pay`, {
        method: 'POST',
        body: new URLSearchParams({ link: new URL(link(invoiceId)).search.slice(1), name: 'A B', card }),
      });
      expect(r.status).toBe(200);
      return [...sandbox.orders.values()].find((o) => o.externalReference === invoiceId)!;
    };
    const rest = async (route: string) => {
      const auth = buildRestAuthHeader({ ...MERCHANT, now: new Date(now) });
      const r = await fetch(`${http.url}/rest/6.0${route}`, { headers: { [REST_AUTH_HEADER]: auth } });
      return { status: r.status, body: (await r.json()) as Record<string, any> };
    };
    return { sandbox, url: http.url, link, pay, rest };
  }

  const ipnsOf = (refNo: string, status?: string) =>
    received.filter((i) => i.get('REFNO') === refNo && (status === undefined || i.get('ORDERSTATUS') === status));

  it('When an order is older than 7 days, then a search without StartDate misses it, as REST 6.0 documents; with StartDate it is found', async () => {
    const { pay, rest } = await start();
    const order = await pay('inv_old');
    now += 8 * DAY;
    const search = async (query: string) => (await rest(`/orders/?ExternalRefNo=inv_old${query}`)).body.Items;
    expect(await search('')).toEqual([]);
    // placed 2026-07-01 21:30 UTC: 2026-07-02 on the server's (Bucharest) calendar, which the dates are compared on
    expect(await search('&StartDate=2026-07-02')).toEqual([expect.objectContaining({ RefNo: order.refNo })]);
    expect(await search('&StartDate=2026-07-03')).toEqual([]);
    expect(await search('&StartDate=2026-06-30&EndDate=2026-07-01')).toEqual([]);
    expect(await search('&StartDate=2026-06-30&EndDate=2026-07-02')).toHaveLength(1);
    expect((await rest('/orders/?StartDate=1.7.2026')).status).toBe(400);
  });

  it('When an order is reversed, then its IPN states the canceled amount as a negative total', async () => {
    const { sandbox, url, pay } = await start();
    const order = await pay('inv_reversed', '4000000000000077'); // PENDING: can still be reversed
    const r = await fetch(`${url}/api/orders/${order.refNo}/reverse`, { method: 'POST' });
    expect(r.status).toBe(200);
    const [reversed] = await eventually(() => {
      const found = ipnsOf(order.refNo, 'REVERSED');
      return found.length ? found : undefined;
    });
    expect(reversed!.get('IPN_TOTALGENERAL')).toBe('-50.00');
    expect(sandbox.orders.get(order.refNo)!.status).toBe('REVERSED');
  });

  it('When an IPN is resent, then it is the same message with a fresh IPN_DATE, signed again', async () => {
    const { sandbox, url, pay } = await start();
    const order = await pay('inv_resent');
    const complete = await eventually(() => ipnsOf(order.refNo, 'COMPLETE')[0]);
    const original = sandbox.deliveries.find((d) => d.refNo === order.refNo && d.orderStatus === 'COMPLETE')!;
    now += 3_600_000;
    const r = await fetch(`${url}/api/ipn-deliveries/${original.id}/resend`, { method: 'POST' });
    expect(r.status).toBe(200);
    const resent = await eventually(() => ipnsOf(order.refNo, 'COMPLETE')[1]);
    expect(resent.get('MESSAGE_ID')).toBe(complete.get('MESSAGE_ID'));
    expect(resent.get('IPN_DATE')).not.toBe(complete.get('IPN_DATE'));
    expect(verifyIpnSignature(resent, MERCHANT.secretKey, { allowMd5: false })).toEqual({
      ok: true,
      algorithm: 'sha3-256',
    });
  });

  it('When the listener answers with a SHA-256 read receipt, then it counts; an MD5 one does not', async () => {
    const { sandbox, pay } = await start();
    receiptAlgorithm = 'sha256';
    const order = await pay('inv_sha256');
    await eventually(() => ipnsOf(order.refNo, 'COMPLETE')[0]);
    const deliveries = () => sandbox.deliveries.filter((d) => d.refNo === order.refNo);
    await eventually(() => (deliveries().every((d) => d.state === 'delivered') ? true : undefined));
    expect(deliveries().map((d) => d.attempts.length)).toEqual([1, 1, 1]);

    receiptAlgorithm = 'md5';
    const next = await pay('inv_md5');
    const retried = await eventually(() =>
      sandbox.deliveries.find((d) => d.refNo === next.refNo && d.attempts.length >= 2),
    );
    expect(retried.attempts[0]!.error).toBe('no valid read receipt in the response');
  });

  it('When the merchant has 20% tax added on top, then the buyer pays 60.00 for a 50.00 price, and IPN and REST say so line by line', async () => {
    const { pay, rest, link } = await start({}, { taxPercent: 20 });
    expect(await (await fetch(link('inv_taxed'))).text()).toContain('60.00 RUB');
    const order = await pay('inv_taxed');
    const ipn = await eventually(() => ipnsOf(order.refNo, 'COMPLETE')[0]);
    expect(
      ['IPN_PRICE', 'IPN_VAT', 'IPN_VAT_RATE', 'IPN_TOTAL', 'IPN_TOTALGENERAL'].map((f) => [f, ipn.getAll(f)]),
    ).toEqual([
      ['IPN_PRICE', ['50.00']],
      ['IPN_VAT', ['10.00']],
      ['IPN_VAT_RATE', ['20.0000']],
      ['IPN_TOTAL', ['60.00']],
      ['IPN_TOTALGENERAL', ['60.00']],
    ]);
    const { body } = await rest(`/orders/${order.refNo}/`);
    expect(body).toMatchObject({ NetPrice: 50, VAT: 10, GrossPrice: 60 });
    expect(body.Items[0].Price).toMatchObject({ UnitNetPrice: 50, VAT: 10, VATPercent: 20, GrossPrice: 60 });
  });

  it("When the merchant is on a 5% + 0.30 USD plan paid out in EUR, then each IPN states the commission in RUB and the payout in EUR, in 2Checkout's field order", async () => {
    const { url, pay } = await start({}, { plan: { percent: '5', fixedUsd: '0.30' }, payoutCurrency: 'EUR' });
    const rates = (await (await fetch(`${url}/api/fx-rates`)).json()) as Record<string, any>;
    expect(rates).toMatchObject({
      usdPerUnit: { RUB: '0.0125', EUR: '1.08' },
      fxMarkupPercent: '4',
      defaultPlan: { percent: '3.9', fixedUsd: '0.45' },
    });
    const order = await pay('inv_fees');
    const ipns = await eventually(() => (ipnsOf(order.refNo).length === 3 ? ipnsOf(order.refNo) : undefined));
    // 5% of 50.00 + 0.30 USD at 0.0125 USD/RUB = 2.50 + 24 RUB; RUB→EUR 0.0125 / 1.08 less 4%; (50 − 26.50) × rate
    const rate = '0.01111111111111';
    for (const ipn of ipns) {
      const names = ipn.fields.map((f) => f.name);
      expect(names.slice(names.indexOf('IPN_COMMISSION'), names.indexOf('IPN_COMMISSION') + 2)).toEqual([
        'IPN_COMMISSION',
        'REFUND_TYPE',
      ]);
      expect(names.slice(names.indexOf('IPN_DATE'), names.indexOf('IPN_DATE') + 6)).toEqual([
        'IPN_DATE',
        'FX_RATE',
        'FX_MARKUP',
        'PAYABLE_AMOUNT',
        'PAYOUT_CURRENCY',
        'VENDOR_CODE',
      ]);
      expect(
        ['IPN_COMMISSION', 'FX_RATE', 'FX_MARKUP', 'PAYABLE_AMOUNT', 'PAYOUT_CURRENCY'].map((f) => ipn.get(f)),
      ).toEqual(['26.5000', rate, '4', '0.26', 'EUR']);
      expect(verifyIpnSignature(ipn, MERCHANT.secretKey, { allowMd5: false }).ok).toBe(true);
    }
    expect(23.5 * Number(rate)).toBeCloseTo(0.2611, 4);
    const control = await (await fetch(`${url}/`)).text();
    expect(control).toContain('plan 5% + 0.30 USD per sale, paid out in EUR');
    expect(control).toContain('RUB 0.0125');
  });

  it('When a merchant is registered with an odd plan or payout currency, or a link names a currency without a rate, then the sandbox refuses', async () => {
    const { url } = await start();
    const put = (body: Record<string, unknown>) =>
      fetch(`${url}/api/merchants/${MERCHANT.merchantCode}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...MERCHANT, ipnUrl: `${listener.url}/ipn`, ...body }),
      });
    for (const body of [
      { plan: { percent: '150', fixedUsd: '0.45' } },
      { plan: { percent: '3.9' } },
      { plan: 'cheap' },
      { payoutCurrency: 'XYZ' },
      { payoutCurrency: '__proto__' },
      { payoutCurrency: 7 },
    ]) {
      const r = await put(body);
      expect([r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([
        400,
        'invalid_request',
      ]);
    }
    const kept = await put({});
    expect(await kept.json()).toMatchObject({ plan: { percent: '3.9', fixedUsd: '0.45' }, payoutCurrency: 'USD' });
    const refused = await fetch(
      buildDynamicBuyLink({
        baseUrl: `${url}/checkout/buy/`,
        ...MERCHANT,
        items: [{ name: 'Test product', price: '5.000', quantity: 1 }],
        currency: 'BHD',
        orderExtRef: 'inv_bhd',
        expiresAt: new Date(now + 3_600_000),
      }),
    );
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('sells in the currencies it states exchange rates for');
  });

  it("When the server's time zone is set, then dates and TIMEZONE_OFFSET are in it; by default they are Bucharest's, as in 2Checkout's fixtures", async () => {
    const kolkata = await start({ timeZone: 'Asia/Kolkata' });
    const order = await kolkata.pay('inv_zone');
    const ipn = await eventually(() => ipnsOf(order.refNo, 'PENDING')[0]);
    expect([ipn.get('SALEDATE'), ipn.get('TIMEZONE_OFFSET'), ipn.get('IPN_DATE')]).toEqual([
      '2026-07-02 03:00:00',
      'GMT+05:30',
      '20260702030000',
    ]);
    expect((await kolkata.rest(`/orders/${order.refNo}/`)).body.OrderDate).toBe('2026-07-02 03:00:00');

    const bucharest = await start();
    const other = await bucharest.pay('inv_zone_default');
    const summer = await eventually(() => ipnsOf(other.refNo, 'PENDING')[0]);
    expect([summer.get('SALEDATE'), summer.get('TIMEZONE_OFFSET')]).toEqual(['2026-07-02 00:30:00', 'GMT+03:00']);
  });

  it('When the sandbox restarts on its state file, then merchants, orders and the IPN log are still there, and a waiting order goes on', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sandbox-state-'));
    try {
      const stateFile = path.join(dir, 'sandbox.json');
      const first = await start({ stateFile, settleDelayMs: 60_000 });
      const order = await first.pay('inv_restart', '4000000000000077'); // PENDING, authorized after the delay
      await eventually(() => ipnsOf(order.refNo, 'PENDING')[0]);
      const link = first.link('inv_unpaid');
      const logBefore = first.sandbox.deliveries.map((d) => [d.id, d.refNo, d.orderStatus, d.state]);
      first.sandbox.stop();
      expect(JSON.parse(await readFile(stateFile, 'utf8'))).toMatchObject({ format: 1 });

      const second = createSandbox({
        retryScale: 0.00001,
        settleDelayMs: 50,
        fetch: globalThis.fetch,
        clock: () => new Date(now),
        stateFile,
      });
      const http = await listen(second.app);
      running.push({ sandbox: second, http });
      // the merchant is known without being saved again: an open invoice's link still opens
      expect((await fetch(link.replace(/^http:\/\/[^/]+/, http.url))).status).toBe(200);
      expect(second.deliveries.map((d) => [d.id, d.refNo, d.orderStatus, d.state])).toEqual(logBefore);
      // the order waiting to be authorized goes on: authorized, then complete
      await eventually(() => ipnsOf(order.refNo, 'COMPLETE')[0]);
      expect(second.orders.get(order.refNo)).toMatchObject({ status: 'COMPLETE', grossPrice: '50.00' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
