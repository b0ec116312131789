import { parseIpn, verifyBuyLink, verifyReadReceipt } from '../../lib/twocheckout';
import { SEARCH_ATTRIBUTES, workflowIdOf } from '../../workflows/shared';
import { eventually } from '../helpers/eventually';
import { signedIpnBody } from '../helpers/ipn';
import { ADMIN_TOKEN, startStack, type Stack } from '../helpers/stack';
import { searchAttributeBecomes } from '../helpers/temporal';

const SECRET_KEY = 'k3y!Секрет#2CO'; // non-ASCII on purpose: keys are bytes too
const BUY_LINK_WORD = 'Bq7&uL!m2Zx#9pRt';

describe('invoice flow on the real dev server, PostgreSQL and HTTP', () => {
  jest.setTimeout(120_000);
  let stack: Stack;
  let apiKey: string;
  let merchantId: string;
  let productId: string;
  let refNos = 100000;
  let apiClockOffsetMs = 0; // lets a test create an invoice that expires in seconds, through the real API

  beforeAll(async () => {
    stack = await startStack({ apiClock: () => new Date(Date.now() + apiClockOffsetMs) });
    const merchant = await stack.call('POST', '/v1/merchants', {
      token: ADMIN_TOKEN,
      body: {
        name: 'Test shop',
        twocheckout: {
          merchantCode: '250000000001',
          secretKey: SECRET_KEY,
          buyLinkSecretWord: BUY_LINK_WORD,
          environment: 'sandbox',
          testOrders: true,
        },
      },
    });
    expect(merchant.status).toBe(201);
    ({ apiKey, id: merchantId } = merchant.json);
    stack.merchants.set('250000000001', SECRET_KEY);
    const product = await stack.call('POST', '/v1/products', {
      token: apiKey,
      body: { name: 'Test product', price: '50.00', currency: 'RUB' },
    });
    expect(product.status).toBe(201);
    productId = product.json.id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const createInvoice = async (headers: Record<string, string> = {}, body: unknown = { productId }) =>
    stack.call('POST', '/v1/invoices', { token: apiKey, body, headers });
  const invoice = async (id: string) => (await stack.call('GET', `/v1/invoices/${id}`, { token: apiKey })).json;
  const invoiceWhen = (id: string, status: string) =>
    eventually(
      async () => {
        const i = await invoice(id);
        return i.status === status ? i : undefined;
      },
      20_000,
      `invoice ${id} ${status}`,
    );
  const postIpn = (body: string, to = merchantId) =>
    fetch(`${stack.apiUrl}/ipn/2checkout/${to}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    });
  const paidOrder = (invoiceId: string, refNo: string) => ({
    RefNo: refNo,
    OrderNo: '1001',
    ExternalReference: invoiceId,
    Status: 'COMPLETE',
    ApproveStatus: 'OK',
    Currency: 'RUB',
    GrossPrice: 50,
    TestOrder: true,
  });

  it('When a merchant creates an invoice, then it answers 201 with a signed checkout link, and its workflow waits', async () => {
    const created = await createInvoice();
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ status: 'awaiting_payment', amount: '50.00', currency: 'RUB', late: false });
    const link = new URL(created.json.checkoutUrl);
    expect(`${link.origin}${link.pathname}`).toBe(`${stack.twoCheckout.url}/checkout/buy/`);
    const verified = verifyBuyLink(link.searchParams, BUY_LINK_WORD, new Date());
    expect(verified).toMatchObject({
      ok: true,
      params: {
        merchant: '250000000001',
        'order-ext-ref': created.json.id,
        prod: 'Test product',
        price: '50.00',
        currency: 'RUB',
        test: '1',
        lock: '1',
        expiration: String(Math.floor(Date.parse(created.json.expiresAt) / 1000)),
        'return-url': `${stack.apiUrl}/pay/return?invoice=${created.json.id}`,
      },
    });
    const described = await stack.env.client.workflow.getHandle(workflowIdOf(created.json.id)).describe();
    expect(described.status.name).toBe('RUNNING');
    expect(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.merchantId)).toBe(merchantId);
    expect(await described.staticSummary()).toBe('50.00 RUB · Test shop');
  });

  it('When 2Checkout sends a signed IPN for a paid order, then the receipt verifies and the invoice turns paid by itself', async () => {
    const { json: created } = await createInvoice();
    const refNo = String(refNos++);
    stack.twoCheckout.orders.set(refNo, paidOrder(created.id, refNo));
    const body = signedIpnBody(SECRET_KEY, {
      refNo,
      invoiceId: created.id,
      orderStatus: 'COMPLETE',
      total: '50.00',
      currency: 'RUB',
    });

    const response = await postIpn(body);
    const receipt = await response.text();
    expect(response.status).toBe(200);
    expect(verifyReadReceipt(parseIpn(Buffer.from(body)), SECRET_KEY, receipt, 'sha3-256')).toBe(true);

    const paid = await invoiceWhen(created.id, 'paid');
    expect(paid).toMatchObject({
      status: 'paid',
      late: false,
      twocheckout: { refNo, orderNo: '1001', testOrder: true },
    });
    expect(paid.events.map((e: { type: string; to: string | null }) => [e.type, e.to])).toEqual([
      ['created', 'awaiting_payment'],
      ['checkout_link_created', null],
      ['status_changed', 'paid'],
    ]);
    const ipn = await stack.db('ipn_events').where({ refno: refNo }).first();
    expect(ipn).toMatchObject({
      verdict: 'verified',
      algorithm: 'sha3-256',
      invoice_id: created.id,
      delivery_state: 'delivered',
    });
    await eventually(async () =>
      (await stack.db('ipn_events').where({ id: ipn.id }).first()).outcome ? true : undefined,
    );

    await searchAttributeBecomes(stack.env.client, created.id, 'paid');
    const described = await stack.env.client.workflow.getHandle(workflowIdOf(created.id)).describe();
    expect(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.twoCheckoutRefNo)).toBe(refNo);
    const listed = await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of stack.env.client.workflow.list({
        query: `InvoiceStatus = "paid" AND InvoiceId = "${created.id}"`,
      })) {
        ids.push(wf.workflowId);
      }
      return ids.length ? ids : undefined;
    });
    expect(listed).toEqual([workflowIdOf(created.id)]);
  });

  it('When a correctly signed IPN names an order 2Checkout does not confirm, then the invoice stays unpaid', async () => {
    const { json: created } = await createInvoice();
    const refNo = String(refNos++); // no such order at 2Checkout
    const response = await postIpn(
      signedIpnBody(SECRET_KEY, {
        refNo,
        invoiceId: created.id,
        orderStatus: 'COMPLETE',
        total: '50.00',
        currency: 'RUB',
      }),
    );
    expect(response.status).toBe(200);
    const outcome = await eventually(
      async () => (await stack.db('ipn_events').where({ refno: refNo }).first())?.outcome ?? undefined,
    );
    expect(outcome).toMatch(/^not_confirmed/);
    expect(await invoice(created.id)).toMatchObject({ status: 'awaiting_payment' });
    expect(stack.twoCheckout.requests).toContain(`GET /rest/6.0/orders/${refNo}/`);
  });

  it('When an IPN has a bad signature, then it is refused with 400 and no receipt, stored as an attempt, and nothing changes', async () => {
    const { json: created } = await createInvoice();
    const refNo = String(refNos++);
    stack.twoCheckout.orders.set(refNo, paidOrder(created.id, refNo));
    const forged = signedIpnBody('not the secret key', {
      refNo,
      invoiceId: created.id,
      orderStatus: 'COMPLETE',
      total: '50.00',
      currency: 'RUB',
    });

    const response = await postIpn(forged);
    const text = await response.text();
    expect(response.status).toBe(400);
    expect(text).not.toMatch(/<EPAYMENT>|<sig /);
    const attempts = await stack.db('ipn_events').where({ merchant_id: merchantId, verdict: 'bad_signature' });
    expect(attempts.some((a: { raw_body: Buffer }) => a.raw_body.toString() === forged)).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await invoice(created.id)).toMatchObject({ status: 'awaiting_payment' });
    expect(stack.twoCheckout.requests).not.toContain(`GET /rest/6.0/orders/${refNo}/`);
  });

  it('When a signed IPN names no invoice of this merchant, then it is acknowledged, stored and flagged, and creates nothing', async () => {
    const before = await stack.db('invoices').count({ n: '*' });
    const body = signedIpnBody(SECRET_KEY, {
      refNo: String(refNos++),
      invoiceId: 'inv_nosuchinvoice',
      orderStatus: 'COMPLETE',
      total: '50.00',
      currency: 'RUB',
    });
    const responses = [await postIpn(body), await postIpn(body)];
    for (const r of responses) {
      expect(r.status).toBe(200);
      expect(verifyReadReceipt(parseIpn(Buffer.from(body)), SECRET_KEY, await r.text(), 'sha3-256')).toBe(true);
    }
    const stored = await stack.db('ipn_events').where({ refnoext: 'inv_nosuchinvoice' });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      unknown_invoice: true,
      invoice_id: null,
      delivery_state: 'not_applicable',
      duplicate_count: 1,
    });
    expect(await stack.db('invoices').count({ n: '*' })).toEqual(before);
  });

  it('When the same IPN arrives 5 times in a row and 5 times at once, then every copy gets a receipt and the invoice changes once', async () => {
    const { json: created } = await createInvoice();
    const refNo = String(refNos++);
    stack.twoCheckout.orders.set(refNo, paidOrder(created.id, refNo));
    const body = signedIpnBody(SECRET_KEY, {
      refNo,
      invoiceId: created.id,
      orderStatus: 'COMPLETE',
      total: '50.00',
      currency: 'RUB',
    });
    const sequential: Response[] = [];
    for (let i = 0; i < 5; i++) sequential.push(await postIpn(body));
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => postIpn(body)));
    for (const r of [...sequential, ...concurrent]) {
      expect(r.status).toBe(200);
      expect(verifyReadReceipt(parseIpn(Buffer.from(body)), SECRET_KEY, await r.text(), 'sha3-256')).toBe(true);
    }
    await invoiceWhen(created.id, 'paid');
    await new Promise((r) => setTimeout(r, 1500)); // let any extra delivery run before counting
    const events = (await invoice(created.id)).events.filter((e: { type: string }) => e.type === 'status_changed');
    expect(events).toHaveLength(1);
    expect(await stack.db('ipn_events').where({ refno: refNo })).toMatchObject([
      { duplicate_count: 9, verdict: 'verified' },
    ]);
  });

  it('When a captured IPN is replayed later, then it is acknowledged as a duplicate and changes nothing', async () => {
    const { json: created } = await createInvoice();
    const refNo = String(refNos++);
    stack.twoCheckout.orders.set(refNo, paidOrder(created.id, refNo));
    const body = signedIpnBody(SECRET_KEY, {
      refNo,
      invoiceId: created.id,
      orderStatus: 'COMPLETE',
      total: '50.00',
      currency: 'RUB',
    });
    await postIpn(body);
    const paid = await invoiceWhen(created.id, 'paid');
    stack.twoCheckout.orders.set(refNo, { ...paidOrder(created.id, refNo), Status: 'REVERSED' }); // would fail it if re-applied
    expect((await postIpn(body)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await invoice(created.id)).toEqual(paid);
  });

  it.each([
    [
      'truncated',
      (s: string) =>
        s.replace(/SIGNATURE_SHA3_256=([0-9a-f]+)/, (_m, h: string) => `SIGNATURE_SHA3_256=${h.slice(0, 40)}`),
    ],
    ['missing', (s: string) => s.replace(/&HASH=.*$/, '')],
    [
      'computed over another serialisation',
      (s: string) => s.replace('FIRSTNAME=%D0%98%D0%B2%D0%B0%D0%BD', 'FIRSTNAME=Ivan'),
    ],
  ])('When the signature is %s, then 400 without receipt and nothing changes', async (_what, mangle) => {
    const { json: created } = await createInvoice();
    const refNo = String(refNos++);
    stack.twoCheckout.orders.set(refNo, paidOrder(created.id, refNo));
    const response = await postIpn(
      mangle(
        signedIpnBody(SECRET_KEY, {
          refNo,
          invoiceId: created.id,
          orderStatus: 'COMPLETE',
          total: '50.00',
          currency: 'RUB',
        }),
      ),
    );
    expect(response.status).toBe(400);
    expect(await response.text()).not.toMatch(/<EPAYMENT>|<sig /);
    await new Promise((r) => setTimeout(r, 500));
    expect((await invoice(created.id)).status).toBe('awaiting_payment');
  });

  it('When an IPN is signed with MD5 only, then it is refused until the merchant allows MD5', async () => {
    const { json: created } = await createInvoice();
    const refNo = String(refNos++);
    stack.twoCheckout.orders.set(refNo, paidOrder(created.id, refNo));
    const md5Only = signedIpnBody(SECRET_KEY, {
      refNo,
      invoiceId: created.id,
      orderStatus: 'COMPLETE',
      total: '50.00',
      currency: 'RUB',
    }).replace(/&SIGNATURE_SHA2_256=.*$/, '');
    const refused = await postIpn(md5Only);
    expect([refused.status, await refused.text()]).toEqual([400, 'IPN refused']);
    const logged = await stack.call('GET', '/v1/ipn-events', { token: apiKey });
    expect(logged.json.data[0]).toMatchObject({ verdict: 'md5_not_allowed', algorithm: 'md5' });
    await stack.call('PATCH', '/v1/merchant', { token: apiKey, body: { twocheckout: { allowMd5Ipn: true } } });
    try {
      const accepted = await postIpn(md5Only);
      expect(accepted.status).toBe(200);
      expect(await accepted.text()).toMatch(/^<EPAYMENT>\d{14}\|[0-9a-f]{32}<\/EPAYMENT>$/);
      await invoiceWhen(created.id, 'paid');
    } finally {
      await stack.call('PATCH', '/v1/merchant', { token: apiKey, body: { twocheckout: { allowMd5Ipn: false } } });
    }
  });

  it("When an IPN signed for this merchant is posted to another merchant's URL, then it is refused", async () => {
    const other = await stack.call('POST', '/v1/merchants', {
      token: ADMIN_TOKEN,
      body: {
        name: 'Other',
        twocheckout: { merchantCode: 'Y', secretKey: 'other key', buyLinkSecretWord: 'y', environment: 'sandbox' },
      },
    });
    const { json: created } = await createInvoice();
    const body = signedIpnBody(SECRET_KEY, {
      refNo: String(refNos++),
      invoiceId: created.id,
      orderStatus: 'COMPLETE',
      total: '50.00',
      currency: 'RUB',
    });
    expect((await postIpn(body, other.json.id)).status).toBe(400);
    expect((await postIpn(body, 'mer_nosuchmerchant')).status).toBe(400);
  });

  it('When an IPN body is over the size limit, then 413 and nothing is stored', async () => {
    const before = await stack.db('ipn_events').count({ n: '*' });
    const response = await postIpn(`REFNO=1&PAD=${'x'.repeat(70 * 1024)}`);
    expect(response.status).toBe(413);
    expect(await stack.db('ipn_events').count({ n: '*' })).toEqual(before);
  });

  const PERMUTATIONS = [
    ['PENDING', 'PAYMENT_AUTHORIZED', 'COMPLETE'],
    ['PENDING', 'COMPLETE', 'PAYMENT_AUTHORIZED'],
    ['PAYMENT_AUTHORIZED', 'PENDING', 'COMPLETE'],
    ['PAYMENT_AUTHORIZED', 'COMPLETE', 'PENDING'],
    ['COMPLETE', 'PENDING', 'PAYMENT_AUTHORIZED'],
    ['COMPLETE', 'PAYMENT_AUTHORIZED', 'PENDING'],
  ];
  it('When PENDING, PAYMENT_AUTHORIZED and COMPLETE arrive in every order, then each invoice ends paid, once, and never goes back', async () => {
    await Promise.all(
      PERMUTATIONS.map(async (statuses, p) => {
        const { json: created } = await createInvoice();
        const refNo = String(refNos++);
        const order = paidOrder(created.id, refNo);
        stack.twoCheckout.orders.set(refNo, { ...order, Status: 'PENDING' });
        for (const [i, orderStatus] of statuses.entries()) {
          if (orderStatus === 'COMPLETE') stack.twoCheckout.orders.set(refNo, order); // 2Checkout completes it now
          const ipnDate = `2026112812${String(p).padStart(2, '0')}${String(i).padStart(2, '0')}`;
          const response = await postIpn(
            signedIpnBody(SECRET_KEY, {
              refNo,
              invoiceId: created.id,
              orderStatus,
              total: '50.00',
              currency: 'RUB',
              ipnDate,
            }),
          );
          expect(response.status).toBe(200);
          if (orderStatus === 'PENDING' && i === 0) await invoiceWhen(created.id, 'processing');
        }
        await eventually(async () => {
          const outcomes = await stack.db('ipn_events').where({ refno: refNo }).whereNotNull('outcome');
          return outcomes.length === 3 ? true : undefined;
        });
        const final = await invoice(created.id);
        const changes = final.events
          .filter((e: { type: string }) => e.type === 'status_changed')
          .map((e: { to: string }) => e.to);
        expect([final.status, changes.filter((s: string) => s === 'paid').length, changes[changes.length - 1]]).toEqual(
          ['paid', 1, 'paid'],
        );
      }),
    );
  });

  it('When the IPN total differs from the invoice though 2Checkout agrees, then it needs review, never paid', async () => {
    const { json: created } = await createInvoice();
    const refNo = String(refNos++);
    stack.twoCheckout.orders.set(refNo, paidOrder(created.id, refNo));
    await postIpn(
      signedIpnBody(SECRET_KEY, {
        refNo,
        invoiceId: created.id,
        orderStatus: 'COMPLETE',
        total: '0.50',
        currency: 'RUB',
      }),
    );
    expect(await invoiceWhen(created.id, 'needs_review')).toMatchObject({
      statusReason: 'the IPN says 0.50 RUB ≠ 50.00 RUB',
    });
  });

  it('When 2Checkout reports another amount though the IPN agrees, then it needs review, never paid', async () => {
    const { json: created } = await createInvoice();
    const refNo = String(refNos++);
    stack.twoCheckout.orders.set(refNo, { ...paidOrder(created.id, refNo), GrossPrice: '0.50' });
    await postIpn(
      signedIpnBody(SECRET_KEY, {
        refNo,
        invoiceId: created.id,
        orderStatus: 'COMPLETE',
        total: '50.00',
        currency: 'RUB',
      }),
    );
    expect(await invoiceWhen(created.id, 'needs_review')).toMatchObject({
      statusReason: `2Checkout order ${refNo}: amount 0.50 RUB ≠ 50.00 RUB`,
    });
  });

  it('When an IPN has an unknown ORDERSTATUS, then it is stored and acknowledged, and the invoice needs review', async () => {
    const { json: created } = await createInvoice();
    const refNo = String(refNos++);
    const body = signedIpnBody(SECRET_KEY, {
      refNo,
      invoiceId: created.id,
      orderStatus: 'TELEPORTED',
      total: '50.00',
      currency: 'RUB',
    });
    const response = await postIpn(body);
    expect(verifyReadReceipt(parseIpn(Buffer.from(body)), SECRET_KEY, await response.text(), 'sha3-256')).toBe(true);
    await invoiceWhen(created.id, 'needs_review');
    expect(await stack.db('ipn_events').where({ refno: refNo }).first()).toMatchObject({
      order_status: 'TELEPORTED',
      verdict: 'verified',
    });
  });

  it('When a test order pays a merchant that does not accept test orders, then it needs review, never paid', async () => {
    await stack.call('PATCH', '/v1/merchant', { token: apiKey, body: { twocheckout: { testOrders: false } } });
    try {
      const { json: created } = await createInvoice();
      const refNo = String(refNos++);
      stack.twoCheckout.orders.set(refNo, paidOrder(created.id, refNo)); // TestOrder: true
      await postIpn(
        signedIpnBody(SECRET_KEY, {
          refNo,
          invoiceId: created.id,
          orderStatus: 'COMPLETE',
          total: '50.00',
          currency: 'RUB',
        }),
      );
      expect(await invoiceWhen(created.id, 'needs_review')).toMatchObject({
        statusReason: `2Checkout order ${refNo} is a test order, and this merchant does not accept test orders`,
      });
    } finally {
      await stack.call('PATCH', '/v1/merchant', { token: apiKey, body: { twocheckout: { testOrders: true } } });
    }
  });

  it('When a verified payment arrives after the merchant canceled, then the invoice is paid, late', async () => {
    const { json: created } = await createInvoice();
    await stack.call('POST', `/v1/invoices/${created.id}/cancel`, { token: apiKey });
    const refNo = String(refNos++);
    stack.twoCheckout.orders.set(refNo, paidOrder(created.id, refNo));
    await postIpn(
      signedIpnBody(SECRET_KEY, {
        refNo,
        invoiceId: created.id,
        orderStatus: 'COMPLETE',
        total: '50.00',
        currency: 'RUB',
      }),
    );
    expect(await invoiceWhen(created.id, 'paid')).toMatchObject({ late: true });
    const list = await stack.call('GET', '/v1/invoices?status=paid&limit=100', { token: apiKey });
    expect(list.json.data.find((i: { id: string }) => i.id === created.id)).toMatchObject({ late: true });
  });

  it('When the same Idempotency-Key is sent again, then the same body gives the first answer again and another body is refused', async () => {
    const key = `order-${Date.now()}`;
    const first = await createInvoice({ 'Idempotency-Key': key });
    const again = await createInvoice({ 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    expect([again.status, again.headers.get('Idempotent-Replayed'), again.text]).toEqual([201, 'true', first.text]);
    const other = await createInvoice({ 'Idempotency-Key': key }, { productId, quantity: 2 });
    expect(other).toMatchObject({ status: 422, json: { error: { code: 'idempotency_key_reused' } } });
    expect(await stack.db('idempotency_keys').where({ merchant_id: merchantId, key })).toEqual([
      expect.objectContaining({ state: 'done', resource_id: first.json.id }),
    ]);
  });

  const expiringSoon = async () => {
    apiClockOffsetMs = -58_000; // expiresIn 60 s from a clock 58 s behind: due in 2 s
    try {
      return (await createInvoice({}, { productId, expiresIn: 60 })).json;
    } finally {
      apiClockOffsetMs = 0;
    }
  };

  it('When an invoice reaches its expiry and 2Checkout has no order for it, then it expires', async () => {
    const created = await expiringSoon();
    const expired = await invoiceWhen(created.id, 'expired');
    expect(expired.statusReason).toBe('expired: no payment before the deadline, none found at 2Checkout');
    // the search reaches back to the invoice's creation (2Checkout's default is the last 7 days only)
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const since = day(new Date(Date.parse(created.createdAt) - 86_400_000));
    expect(stack.twoCheckout.requests).toContain(
      `GET /rest/6.0/orders/?ExternalRefNo=${created.id}&StartDate=${since}&IncludeTestOrders=YES&Limit=200&Page=1`,
    );
  });

  it('When an invoice reaches its expiry and 2Checkout has a paid order whose IPN never came, then it is paid', async () => {
    const created = await expiringSoon();
    const refNo = String(refNos++);
    stack.twoCheckout.orders.set(refNo, paidOrder(created.id, refNo));
    const paid = await invoiceWhen(created.id, 'paid');
    expect(paid).toMatchObject({ late: false, twocheckout: { refNo } });
  });

  it('When the merchant cancels an unpaid invoice, then it is canceled; cancelling again or a paid one is refused', async () => {
    const { json: paidOne } = await createInvoice();
    const refNo = String(refNos++);
    stack.twoCheckout.orders.set(refNo, paidOrder(paidOne.id, refNo));
    await postIpn(
      signedIpnBody(SECRET_KEY, {
        refNo,
        invoiceId: paidOne.id,
        orderStatus: 'COMPLETE',
        total: '50.00',
        currency: 'RUB',
      }),
    );
    await invoiceWhen(paidOne.id, 'paid');
    const refused = await stack.call('POST', `/v1/invoices/${paidOne.id}/cancel`, { token: apiKey });
    expect(refused).toMatchObject({ status: 409, json: { error: { code: 'invoice_not_cancelable' } } });

    const { json: created } = await createInvoice();
    const canceled = await stack.call('POST', `/v1/invoices/${created.id}/cancel`, {
      token: apiKey,
      body: { reason: 'customer left' },
    });
    expect(canceled).toMatchObject({
      status: 200,
      json: { status: 'canceled', statusReason: 'canceled by the merchant: customer left' },
    });
    const again = await stack.call('POST', `/v1/invoices/${created.id}/cancel`, { token: apiKey });
    expect(again).toMatchObject({ status: 409, json: { error: { code: 'invoice_not_cancelable' } } });
    const state = await stack.env.client.workflow.getHandle(workflowIdOf(created.id)).describe();
    expect(state.typedSearchAttributes.get(SEARCH_ATTRIBUTES.invoiceStatus)).toBe('canceled');
  });

  it('When another merchant asks for this invoice, then it is not found', async () => {
    const { json: created } = await createInvoice();
    const other = await stack.call('POST', '/v1/merchants', {
      token: ADMIN_TOKEN,
      body: {
        name: 'Other',
        twocheckout: { merchantCode: 'X', secretKey: 'x', buyLinkSecretWord: 'y', environment: 'sandbox' },
      },
    });
    const seen = await stack.call('GET', `/v1/invoices/${created.id}`, { token: other.json.apiKey });
    expect(seen).toMatchObject({ status: 404, json: { error: { code: 'not_found' } } });
    const list = await stack.call('GET', '/v1/invoices', { token: other.json.apiKey });
    expect(list.json).toEqual({ data: [], hasMore: false, nextCursor: null });
  });
});
