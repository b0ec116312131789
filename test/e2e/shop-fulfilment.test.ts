import { spawnSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { eventually } from '../helpers/eventually';
import { completedOrder, sandboxShop, startSandbox, type RunningSandbox } from '../helpers/sandbox';
import { startStack, type Stack } from '../helpers/stack';

const SNIPPET = join(__dirname, '../../docs/snippets/verify-webhook.mjs');

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A shop's webhook endpoint, as Stripe and Standard Webhooks teach it: verify the signature with the official
 * library, dedupe by event id, fulfil the order on `invoice.paid`. Nothing of the service's code is used.
 */
async function startShop(secret: () => string) {
  const deliveries: Delivery[] = [];
  const seen = new Set<string>();
  const fulfilled: string[] = [];
  const refused: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let event: { id: string; type: string; data: { invoice: { id: string } } };
      try {
        event = new Webhook(secret()).verify(body, req.headers as Record<string, string>) as typeof event;
      } catch (err) {
        refused.push(String(err));
        res.writeHead(400).end();
        return;
      }
      deliveries.push({ headers: req.headers, body });
      if (!seen.has(event.id)) {
        seen.add(event.id);
        if (event.type === 'invoice.paid') fulfilled.push(event.data.invoice.id);
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/2checkout`,
    deliveries,
    fulfilled,
    refused,
    /** The events received, each once, in the order they first arrived. */
    events: () => [...new Map(deliveries.map((d) => [d.headers['webhook-id'], JSON.parse(d.body)])).values()],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** docs/snippets/verify-webhook.mjs, run as a merchant would run it: plain Node, a process of its own. */
function snippetVerifies(delivery: Delivery, secret: string): boolean {
  const script = [
    `import { verify } from ${JSON.stringify(pathToFileURL(SNIPPET).href)};`,
    "import { readFileSync } from 'node:fs';",
    "const { headers, body, secret } = JSON.parse(readFileSync(0, 'utf8'));",
    'process.stdout.write(String(verify(headers, Buffer.from(body), secret)));',
  ].join('\n');
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    input: JSON.stringify({ headers: delivery.headers, body: delivery.body, secret }),
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as boolean;
}

describe('A shop that fulfils on invoice.paid, through chargebacks, refunds and resends', () => {
  jest.setTimeout(180_000);
  let sandbox: RunningSandbox;
  let stack: Stack;

  beforeAll(async () => {
    sandbox = await startSandbox();
    stack = await startStack({ sandboxUrl: sandbox.url, webhookPolicy: { firstRetryMs: 300, retryForMs: 60_000 } });
  });
  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
  });

  it('When an order is paid, disputed, the dispute won, part refunded, and IPNs and webhooks are resent, then the shop fulfils it exactly once, and a resent event is byte for byte the first', async () => {
    const shop = await sandboxShop(stack, sandbox.url, '250000000091');
    let secret = '';
    const endpoint = await startShop(() => secret);
    try {
      const set = await stack.call('PATCH', '/v1/merchant', { token: shop.apiKey, body: { webhookUrl: endpoint.url } });
      secret = set.json.webhookSecret as string;
      const control = (refNo: string, action: string, body: unknown = {}) =>
        fetch(`${sandbox.url}/api/orders/${refNo}/${action}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
      const received = (type: string, n = 1) =>
        eventually(
          () => (endpoint.events().filter((e) => e.type === type).length >= n ? true : undefined),
          30_000,
          `the shop to receive ${type}`,
        );
      const statusIs = (id: string, status: string) =>
        eventually(
          async () => ((await stack.statusOf(shop.apiKey, id)) === status ? true : undefined),
          30_000,
          `invoice ${id} ${status}`,
        );

      // Paid: fulfilled.
      const { id, refNo } = await completedOrder(stack, sandbox, shop);
      await received('invoice.paid');
      expect(endpoint.fulfilled).toEqual([id]);

      // A chargeback opened, then won: the invoice is paid again, but that is not a new payment.
      expect((await control(refNo, 'chargeback', { resolution: 'OPEN' })).status).toBe(200);
      await statusIs(id, 'disputed');
      await received('invoice.disputed');
      expect((await control(refNo, 'chargeback', { resolution: 'WON' })).status).toBe(200);
      await statusIs(id, 'paid');
      await received('invoice.dispute_won');

      // A refund of part of the order.
      expect((await control(refNo, 'refund', { amount: '20.00' })).status).toBe(200);
      await statusIs(id, 'partially_refunded');
      await received('invoice.partially_refunded');

      // 2Checkout resends the payment's and the won chargeback's IPNs (Control Panel): handled, they change nothing.
      const ipns = sandbox.deliveries.filter((d) => d.refNo === refNo && d.orderStatus === 'COMPLETE');
      for (const ipn of [ipns[0]!, ipns.at(-1)!]) {
        const resent = (await (
          await fetch(`${sandbox.url}/api/ipn-deliveries/${ipn.id}/resend`, { method: 'POST' })
        ).json()) as { ipnDate: string };
        await eventually(
          async () =>
            (await stack.db('ipn_events').where({ refno: refNo, ipn_date: resent.ipnDate }).first())?.outcome ??
            undefined,
          30_000,
          'the resent IPN handled',
        );
      }
      await statusIs(id, 'partially_refunded');

      // The merchant resends every event it got (after restoring a backup, say).
      const firsts = endpoint.events();
      for (const event of firsts) {
        const resend = await stack.call('POST', `/v1/webhook-events/${event.id}/resend`, { token: shop.apiKey });
        expect(resend.status).toBe(202);
      }
      await eventually(
        () => (endpoint.deliveries.length >= 2 * firsts.length ? true : undefined),
        30_000,
        'every resend delivered',
      );

      // Fulfilled once; every event arrived twice, the same bytes each time, and verified.
      expect(endpoint.fulfilled).toEqual([id]);
      expect(endpoint.refused).toEqual([]);
      const types = firsts.map((e) => e.type);
      expect(types.filter((t) => t === 'invoice.paid')).toEqual(['invoice.paid']);
      expect(types.slice(-4)).toEqual([
        'invoice.paid',
        'invoice.disputed',
        'invoice.dispute_won',
        'invoice.partially_refunded',
      ]);
      for (const event of firsts) {
        const copies = endpoint.deliveries.filter((d) => d.headers['webhook-id'] === event.id);
        expect(copies).toHaveLength(2);
        expect(copies[1]!.body).toBe(copies[0]!.body);
      }
      // the paid event still says what was true then, though the invoice has changed since
      const paid = firsts.find((e) => e.type === 'invoice.paid')!;
      expect(paid.data).toMatchObject({ invoice: { id, status: 'paid', refundedAmount: '0.00' } });
      expect(firsts.find((e) => e.type === 'invoice.dispute_won')!.data).toMatchObject({
        invoice: { id, status: 'paid' },
        previousStatus: 'disputed',
      });
      // and GET /v1/events, the way to catch up, has the same events, newest first
      const listed = await stack.call('GET', `/v1/events?invoiceId=${id}`, { token: shop.apiKey });
      expect(listed.json.data.filter((e: { type: string }) => e.type !== 'invoice.created')).toEqual(
        [...firsts].reverse(),
      );

      // The README's snippet, as a file of its own, verifies a real delivery, and refuses a changed one.
      const delivery = endpoint.deliveries.find((d) => d.headers['webhook-id'] === paid.id)!;
      expect(snippetVerifies(delivery, secret)).toBe(true);
      expect(snippetVerifies({ ...delivery, body: delivery.body.replace('"paid"', '"PAID"') }, secret)).toBe(false);
      expect(snippetVerifies(delivery, `whsec_${Buffer.alloc(24, 7).toString('base64')}`)).toBe(false);
    } finally {
      await endpoint.close();
    }
  });
});
