import { eventually } from '../helpers/eventually';
import { completedOrder, payOnSandbox, sandboxShop, startSandbox, type RunningSandbox } from '../helpers/sandbox';
import { startStack, type Stack } from '../helpers/stack';

/** Refunds, chargebacks and reversals produced by the sandbox's control API, through IPNs to the invoice. */
describe('after the payment: refunds, chargebacks, reversals from the sandbox', () => {
  jest.setTimeout(120_000);
  let sandbox: RunningSandbox;
  let stack: Stack;
  let apiKey: string;
  let productId: string;
  let shop: Awaited<ReturnType<typeof sandboxShop>>;
  let clockOffsetMs = 0;
  let sandboxClockOffsetMs = 0;

  beforeAll(async () => {
    sandbox = await startSandbox({
      settleDelayMs: 5000, // a pending payment outlives a short invoice
      clock: () => new Date(Date.now() + sandboxClockOffsetMs),
    });
    stack = await startStack({ sandboxUrl: sandbox.url, apiClock: () => new Date(Date.now() + clockOffsetMs) });
    shop = await sandboxShop(stack, sandbox.url, '250000000055');
    apiKey = shop.apiKey;
    productId = shop.productId;
  });
  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
  });

  const invoiceWhen = (id: string, status: string) =>
    eventually(
      async () => {
        const i = (await stack.call('GET', `/v1/invoices/${id}`, { token: apiKey })).json;
        return i.status === status ? i : undefined;
      },
      20_000,
      `invoice ${id} ${status}`,
    );

  /** A buyer pays a new invoice with the success card; returns the invoice id and the 2Checkout RefNo. */
  async function paidInvoice(): Promise<{ id: string; refNo: string }> {
    const checkout = (await fetch(`${stack.apiUrl}/order/${productId}`, { redirect: 'manual' })).headers.get(
      'location',
    )!;
    const id = new URL(checkout).searchParams.get('order-ext-ref')!;
    await payOnSandbox(sandbox.url, checkout);
    const paid = await invoiceWhen(id, 'paid');
    return { id, refNo: paid.twocheckout.refNo };
  }
  /** Paid (authorized), and COMPLETE at 2Checkout: what can be refunded. */
  const completedInvoice = () => completedOrder(stack, sandbox, shop);
  /** Tells the sandbox about this merchant again, with sandbox-only settings (dropped IPNs, tax). */
  const tellSandbox = (settings: { dropIpns?: boolean; taxPercent?: number }) => shop.tellSandbox(settings);
  const control = (refNo: string, action: string, body: unknown = {}) =>
    fetch(`${sandbox.url}/api/orders/${refNo}/${action}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('When 2Checkout refunds part, then the rest, then the invoice is partially refunded with the amount, then refunded; a resent refund counts once', async () => {
    const { id, refNo } = await completedInvoice();
    expect((await control(refNo, 'refund', { amount: '20.00' })).status).toBe(200);
    expect(await invoiceWhen(id, 'partially_refunded')).toMatchObject({
      refundedAmount: '20.00',
      statusReason: 'refunded 20.00 of 50.00 RUB',
    });
    // The partial refund's IPN sent again, as from 2Checkout's Control Panel: the same message (MESSAGE_ID) with a
    // fresh IPN_DATE, so it is stored as another IPN; handled, it still counts once.
    const partial = sandbox.deliveries.find((d) => d.refNo === refNo && d.orderStatus === 'REFUND')!;
    const resent = (await (
      await fetch(`${sandbox.url}/api/ipn-deliveries/${partial.id}/resend`, { method: 'POST' })
    ).json()) as { id: number; ipnDate: string };
    expect(resent.ipnDate).not.toBe(partial.ipnDate);
    const handled = await eventually(
      async () =>
        (await stack.db('ipn_events').where({ refno: refNo, ipn_date: resent.ipnDate }).first())?.outcome ?? undefined,
      20_000,
      'the resent refund IPN handled',
    );
    expect(handled).toBe('refund: partially_refunded');
    expect((await stack.call('GET', `/v1/invoices/${id}`, { token: apiKey })).json).toMatchObject({
      status: 'partially_refunded',
      refundedAmount: '20.00',
    });

    expect((await control(refNo, 'refund')).status).toBe(200);
    expect(await invoiceWhen(id, 'refunded')).toMatchObject({ refundedAmount: '50.00' });
    expect(await stack.db('invoice_events').where({ invoice_id: id, type: 'refund' }).count({ n: '*' })).toEqual([
      { n: 2 },
    ]);
  });

  it('When a chargeback opens and is won, then the invoice is disputed, then paid again; a lost one is charged back', async () => {
    const won = await completedInvoice();
    await control(won.refNo, 'chargeback', { resolution: 'OPEN' });
    await invoiceWhen(won.id, 'disputed');
    await control(won.refNo, 'chargeback', { resolution: 'WON' });
    await invoiceWhen(won.id, 'paid');
    const lost = await completedInvoice();
    await control(lost.refNo, 'chargeback', { resolution: 'OPEN' });
    await invoiceWhen(lost.id, 'disputed');
    await control(lost.refNo, 'chargeback', { resolution: 'LOST' });
    await invoiceWhen(lost.id, 'charged_back');
  });

  it('When 2Checkout takes a payment but its IPNs never arrive, then reconciliation at expiry finds it and the invoice is paid', async () => {
    const tell = (dropIpns: boolean) => tellSandbox({ dropIpns });
    await tell(true);
    try {
      clockOffsetMs = -57_000; // expiresIn 60 s from a clock 57 s behind: due in 3 s
      const { json: created } = await stack.call('POST', '/v1/invoices', {
        token: apiKey,
        body: { productId, expiresIn: 60 },
      });
      clockOffsetMs = 0;
      await payOnSandbox(sandbox.url, created.checkoutUrl, { name: 'A B' });
      const order = [...sandbox.orders.values()].find((o) => o.externalReference === created.id)!;
      const paid = await invoiceWhen(created.id, 'paid');
      expect(paid).toMatchObject({ late: false, twocheckout: { refNo: order.refNo } });
      const states = sandbox.deliveries.filter((d) => d.refNo === order.refNo).map((d) => d.state);
      expect(states.slice(0, 2)).toEqual(['dropped', 'dropped']); // PENDING, PAYMENT_AUTHORIZED (COMPLETE later)
      expect(new Set(states)).toEqual(new Set(['dropped']));
      expect(await stack.db('ipn_events').where({ refno: order.refNo })).toEqual([]);
    } finally {
      clockOffsetMs = 0;
      await tell(false);
    }
  });

  it('When a payment is still pending at 2Checkout when the invoice expires, then it is not expired, and paid once it completes', async () => {
    clockOffsetMs = -58_000; // due in 2 s
    const { json: created } = await stack.call('POST', '/v1/invoices', {
      token: apiKey,
      body: { productId, expiresIn: 60 },
    });
    clockOffsetMs = 0;
    await payOnSandbox(sandbox.url, created.checkoutUrl, { card: '4000000000000077', name: 'A B' });
    await invoiceWhen(created.id, 'processing');
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(created.expiresAt) + 1500 - Date.now())));
    expect((await stack.call('GET', `/v1/invoices/${created.id}`, { token: apiKey })).json.status).toBe('processing');
    const paid = await invoiceWhen(created.id, 'paid');
    expect(paid.late).toBe(false);
    expect(
      paid.events.filter((e: { type: string }) => e.type === 'status_changed').map((e: { to: string }) => e.to),
    ).toEqual(['processing', 'paid']);
  });

  it('When an invoice made 8 days ago is paid but its IPNs never arrive, then reconciliation at expiry still finds the order, older than the 7 days 2Checkout searches by default', async () => {
    await tellSandbox({ dropIpns: true });
    try {
      clockOffsetMs = -57_000; // due in 3 s
      const { json: created } = await stack.call('POST', '/v1/invoices', {
        token: apiKey,
        body: { productId, expiresIn: 60 },
      });
      clockOffsetMs = 0;
      // made 8 days ago, and paid at 2Checkout then
      const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000);
      await stack.db('invoices').where({ id: created.id }).update({ created_at: eightDaysAgo });
      sandboxClockOffsetMs = -8 * 86_400_000 + 60_000;
      await payOnSandbox(sandbox.url, created.checkoutUrl, { name: 'A B' });
      sandboxClockOffsetMs = 0;
      const order = [...sandbox.orders.values()].find((o) => o.externalReference === created.id)!;
      expect(order.createdAt.getTime()).toBeLessThan(Date.now() - 7 * 86_400_000);
      expect(await invoiceWhen(created.id, 'paid')).toMatchObject({ late: false, twocheckout: { refNo: order.refNo } });
    } finally {
      clockOffsetMs = 0;
      sandboxClockOffsetMs = 0;
      await tellSandbox({ dropIpns: false });
    }
  });

  it('When 2Checkout adds 20% tax on top of the price, then the buyer pays 60.00 for the 50.00 invoice, and it is paid', async () => {
    await tellSandbox({ taxPercent: 20 });
    try {
      const { id, refNo } = await paidInvoice();
      expect(sandbox.orders.get(refNo)).toMatchObject({ netPrice: '50.00', vat: '10.00', grossPrice: '60.00' });
      expect((await stack.call('GET', `/v1/invoices/${id}`, { token: apiKey })).json).toMatchObject({
        status: 'paid',
        amount: '50.00',
      });
    } finally {
      await tellSandbox({ taxPercent: 0 });
    }
  });

  it('When 2Checkout reverses a paid order, then the invoice fails', async () => {
    const { id, refNo } = await paidInvoice();
    await control(refNo, 'reverse');
    expect(await invoiceWhen(id, 'failed')).toMatchObject({
      statusReason: `2Checkout order ${refNo} is REVERSED at 2Checkout`,
    });
  });
});
