import { serializeIpn, signIpnFields } from '../../lib/twocheckout';
import { eventually } from '../helpers/eventually';
import { serve } from '../helpers/listen';
import { payOnSandbox, sandboxShop, startSandbox, type RunningSandbox } from '../helpers/sandbox';
import { startStack, type Stack } from '../helpers/stack';
import { fieldsFromObject } from '../helpers/twocheckout-fixtures';

/** The plan the README and the help page quote: 3.9% + 0.45 USD per sale, paid out in USD. */
const PLAN = { percent: 3.9, fixedUsd: 0.45 };

/**
 * What 2Checkout keeps and pays out, from the sandbox's IPN to the API and the webhook: a 50.00 RUB payment, its fee
 * in RUB and its payout in USD, and nothing but a verified IPN of the order ever setting them.
 */
describe("the merchant's money: 2Checkout's fee and net payout per invoice", () => {
  jest.setTimeout(120_000);
  let sandbox: RunningSandbox;
  let stack: Stack;
  let hooks: Awaited<ReturnType<typeof serve>>;
  const received: { type: string; data: { invoice: Record<string, unknown> } }[] = [];
  let apiKey: string;
  let merchantId: string;
  let productId: string;
  let tellSandbox: (settings: { dropIpns: boolean }) => Promise<void>;
  let clockOffsetMs = 0;

  beforeAll(async () => {
    sandbox = await startSandbox({ settleDelayMs: 1000 });
    stack = await startStack({
      sandboxUrl: sandbox.url,
      apiClock: () => new Date(Date.now() + clockOffsetMs),
      webhookPolicy: { firstRetryMs: 300, retryForMs: 60_000 },
    });
    hooks = await serve((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200).end('ok');
      });
    });
    const shop = await sandboxShop(stack, sandbox.url, '250000000066');
    ({ apiKey, merchantId, productId, tellSandbox } = shop);
    await stack.call('PATCH', '/v1/merchant', { token: apiKey, body: { webhookUrl: `${hooks.url}/hooks` } });
  });
  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
    await hooks?.close();
  });

  const invoiceWhen = (id: string, ready: (i: Record<string, any>) => boolean, what: string) =>
    eventually(
      async () => {
        const i = (await stack.call('GET', `/v1/invoices/${id}`, { token: apiKey })).json;
        return ready(i) ? i : undefined;
      },
      20_000,
      what,
    );
  /** The fee and payout of 50.00 RUB, computed here from the plan and the sandbox's stated rate and markup. */
  async function expected() {
    const stated = (await (await fetch(`${sandbox.url}/api/fx-rates`)).json()) as {
      usdPerUnit: Record<string, string>;
      fxMarkupPercent: string;
    };
    const usdPerRub = Number(stated.usdPerUnit.RUB);
    const rate = usdPerRub * (1 - Number(stated.fxMarkupPercent) / 100);
    const feeKopecks = Math.round(5000 * (PLAN.percent / 100) + (PLAN.fixedUsd / usdPerRub) * 100);
    const netCents = Math.round(((5000 - feeKopecks) / 100) * rate * 100);
    return {
      fee: { amount: (feeKopecks / 100).toFixed(2), currency: 'RUB' },
      net: { amount: (netCents / 100).toFixed(2), currency: 'USD' },
      fxRate: String(Number(rate.toFixed(14))),
    };
  }

  it('When a buyer pays 50.00 RUB on the sandbox, then the API, the list and the paid webhook show the fee in RUB and the net payout in USD', async () => {
    const want = await expected();
    expect(want).toEqual({
      fee: { amount: '37.95', currency: 'RUB' },
      net: { amount: '0.14', currency: 'USD' },
      fxRate: '0.012',
    });
    const checkout = (await fetch(`${stack.apiUrl}/order/${productId}`, { redirect: 'manual' })).headers.get(
      'location',
    )!;
    const id = new URL(checkout).searchParams.get('order-ext-ref')!;
    await payOnSandbox(sandbox.url, checkout);

    const paid = await invoiceWhen(id, (i) => i.status === 'paid', 'invoice paid');
    expect(paid).toMatchObject({ amount: '50.00', currency: 'RUB', ...want });
    const list = (await stack.call('GET', '/v1/invoices?status=paid', { token: apiKey })).json;
    expect(list.data.find((i: { id: string }) => i.id === id)).toMatchObject(want);

    const hook = await eventually(() => received.find((e) => e.type === 'invoice.paid' && e.data.invoice.id === id));
    expect(hook.data.invoice).toMatchObject({ status: 'paid', ...want });

    // read from the verified IPN of the 2Checkout order that paid it
    const row = await stack.db('invoices').where({ id }).first();
    const source = await stack.db('ipn_events').where({ id: row.fees_ipn_event_id }).first();
    expect(source).toMatchObject({ verdict: 'verified', invoice_id: id, refno: paid.twocheckout.refNo });
  });

  it('When the IPNs are lost and a forged one states a fee, then the invoice is paid by reconciliation without fees; the genuine IPN, resent, sets them', async () => {
    await tellSandbox({ dropIpns: true });
    try {
      clockOffsetMs = -57_000; // expiresIn 60 s from a clock 57 s behind: reconciled in 3 s
      const { json: created } = await stack.call('POST', '/v1/invoices', {
        token: apiKey,
        body: { productId, expiresIn: 60 },
      });
      clockOffsetMs = 0;
      await payOnSandbox(sandbox.url, created.checkoutUrl);
      const order = [...sandbox.orders.values()].find((o) => o.externalReference === created.id)!;

      // Someone without the Secret Key posts an IPN of that order claiming a tiny fee and a big payout.
      const forged = serializeIpn(
        signIpnFields(
          fieldsFromObject({
            REFNO: order.refNo,
            REFNOEXT: created.id,
            ORDERSTATUS: 'COMPLETE',
            CURRENCY: 'RUB',
            IPN_PID: ['1'],
            IPN_PNAME: ['Test product'],
            IPN_TOTALGENERAL: '50.00',
            IPN_COMMISSION: '0.0100',
            IPN_DATE: '20261201120000',
            FX_RATE: '1',
            PAYABLE_AMOUNT: '49.99',
            PAYOUT_CURRENCY: 'RUB',
          }),
          'not the secret key',
        ),
      );
      expect((await stack.postIpn(merchantId, forged)).status).toBe(400);
      // Even stored as if it named the invoice, an IPN that failed verification is never read.
      await stack.db('ipn_events').insert({
        merchant_id: merchantId,
        livemode: false,
        raw_body: Buffer.from(forged),
        headers: JSON.stringify({}),
        verdict: 'bad_signature',
        algorithm: 'sha3-256',
        refno: order.refNo,
        order_status: 'COMPLETE',
        invoice_id: created.id,
        delivery_state: 'not_applicable',
      });

      const paid = await invoiceWhen(created.id, (i) => i.status === 'paid', 'paid by reconciliation');
      expect(paid).toMatchObject({ fee: null, net: null, fxRate: null, twocheckout: { refNo: order.refNo } });
      expect(await stack.db('ipn_events').where({ refno: order.refNo }).pluck('verdict')).toEqual([
        'bad_signature',
        'bad_signature',
      ]);

      // 2Checkout resends its notification (Control Panel): verified, it fills in what it states.
      await tellSandbox({ dropIpns: false });
      const complete = await eventually(
        () => sandbox.deliveries.find((d) => d.refNo === order.refNo && d.orderStatus === 'COMPLETE'),
        20_000,
        'the COMPLETE IPN, dropped',
      );
      expect(complete.state).toBe('dropped');
      const resent = await fetch(`${sandbox.url}/api/ipn-deliveries/${complete.id}/resend`, { method: 'POST' });
      expect(resent.status).toBe(200);
      expect(await invoiceWhen(created.id, (i) => i.fee !== null, 'fees from the resent IPN')).toMatchObject({
        status: 'paid',
        ...(await expected()),
      });
    } finally {
      clockOffsetMs = 0;
      await tellSandbox({ dropIpns: false });
    }
  });
});
