import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhookWorkflow } from '../../workflows/webhook';
import { eventually } from '../helpers/eventually';
import { startStack } from '../helpers/stack';

type Stack = Awaited<ReturnType<typeof startStack>>;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/**
 * The merchant's system, written from the README's instructions only: it checks Webhook-Signature with node:crypto
 * (not the service's code) and answers with the next status of `script` (then 200).
 */
async function startReceiver(script: number[]) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answered = script.shift() ?? 200;
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
      res.writeHead(answered, { 'Content-Type': 'text/plain' }).end(answered === 200 ? 'ok' : 'try later');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/payments`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What a receiver does with the header: the HMAC of "<t>.<raw body>" matches, and t is at most 5 minutes old. */
function verify(secret: string, header: string | undefined, rawBody: string, nowSeconds: number): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((kv) => kv.split('=') as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300 || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${parts.t}.${rawBody}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('Webhooks to the merchant, delivered by Temporal', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ webhookPolicy: { firstRetryMs: 300, retryForMs: 120_000 } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('When a merchant sets a webhook URL, then the signing secret is shown once and masked afterwards', async () => {
    const m = await stack.newMerchant('WHSECRET', 'key-secret-1');
    const receiver = await startReceiver([]);
    try {
      const set = await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { webhookUrl: receiver.url } });
      expect(set.status).toBe(200);
      const secret = set.json.webhookSecret as string;
      expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);

      const read = await stack.call('GET', '/v1/merchant', { token: m.apiKey });
      expect(read.json).toMatchObject({ webhookUrl: receiver.url, webhookSecret: `••••${secret.slice(-4)}` });
      const again = await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { name: 'Renamed' } });
      expect(again.json.webhookSecret).toBe(`••••${secret.slice(-4)}`);

      const rotated = await stack.call('PATCH', '/v1/merchant', {
        token: m.apiKey,
        body: { rotateWebhookSecret: true },
      });
      expect(rotated.json.webhookSecret).toMatch(/^whsec_/);
      expect(rotated.json.webhookSecret).not.toBe(secret);
    } finally {
      await receiver.close();
    }
  });

  it('When bad webhook settings are sent, then 400 and nothing changes', async () => {
    const m = await stack.newMerchant('WHBAD', 'key-secret-2');
    for (const body of [
      { webhookUrl: 'javascript:alert(1)' },
      { webhookUrl: 'not a url' },
      { webhookUrl: 42 },
      { rotateWebhookSecret: true },
    ]) {
      const res = await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body });
      expect([res.status, res.json.error.code]).toEqual([400, 'invalid_request']);
    }
    const read = await stack.call('GET', '/v1/merchant', { token: m.apiKey });
    expect(read.json).toMatchObject({ webhookUrl: null, webhookSecret: null });
  });

  it('When the receiver fails at first, then Temporal retries with backoff, every attempt is logged, and each request carries the same signed event', async () => {
    const m = await stack.newMerchant('WHRETRY', 'key-secret-3');
    const receiver = await startReceiver([500, 503]);
    try {
      const set = await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { webhookUrl: receiver.url } });
      const secret = set.json.webhookSecret as string;
      const paid = await stack.paidAtTwoCheckout({ ...m, secretKey: 'key-secret-3' }, 'WH-R1');
      expect((await stack.postIpn(m.merchantId, paid.body)).status).toBe(200);

      const deliveries = await eventually(async () => {
        const res = await stack.call('GET', `/v1/webhook-deliveries?invoiceId=${paid.id}`, { token: m.apiKey });
        return res.json.data.length === 3 && res.json.data[0].state === 'succeeded' ? res.json : undefined;
      }, 30_000);

      // The merchant's side: three requests, all the same event, all signed with the secret shown once.
      expect(receiver.received.map((r) => r.answered)).toEqual([500, 503, 200]);
      const bodies = new Set(receiver.received.map((r) => r.body));
      expect(bodies.size).toBe(1);
      const event = JSON.parse([...bodies][0]!);
      const invoice = await stack.call('GET', `/v1/invoices/${paid.id}`, { token: m.apiKey });
      const paidEvent = invoice.json.events.find((e: { to: string }) => e.to === 'paid');
      expect(event).toEqual({
        id: paidEvent.eventId,
        type: 'invoice.paid',
        createdAt: paidEvent.at,
        data: { invoice: { ...invoice.json, events: undefined } },
      });
      for (const r of receiver.received) {
        expect(r.headers['webhook-id']).toBe(event.id);
        expect(r.headers['content-type']).toBe('application/json');
        expect(verify(secret, r.headers['webhook-signature'] as string, r.body, Date.now() / 1000)).toBe(true);
        expect(verify('whsec_wrong', r.headers['webhook-signature'] as string, r.body, Date.now() / 1000)).toBe(false);
        expect(verify(secret, r.headers['webhook-signature'] as string, r.body, Date.now() / 1000 + 301)).toBe(false);
      }

      // Our side: every attempt, newest first, with what the receiver answered.
      expect(
        deliveries.data.map((d: Record<string, unknown>) => [
          d.eventId,
          d.eventType,
          d.attempt,
          d.state,
          d.responseStatus,
        ]),
      ).toEqual([
        [event.id, 'invoice.paid', 3, 'succeeded', 200],
        [event.id, 'invoice.paid', 2, 'failed', 503],
        [event.id, 'invoice.paid', 1, 'failed', 500],
      ]);
      expect(deliveries.data[2]).toMatchObject({ url: receiver.url, responseExcerpt: 'try later', error: null });
      expect(deliveries.nextCursor).toBeNull();

      // The delivery is a workflow of its own, named after the event, visible to ops by invoice.
      const handle = stack.env.client.workflow.getHandle(`webhook-${event.id}`);
      expect(await handle.result()).toEqual({ eventId: event.id, delivered: true });
      const listed = stack.env.client.workflow.list({
        query: `WorkflowType = 'webhookWorkflow' AND InvoiceId = '${paid.id}'`,
      });
      const ids: string[] = [];
      for await (const w of listed) ids.push(w.workflowId);
      expect(ids).toEqual([`webhook-${event.id}`]);
    } finally {
      await receiver.close();
    }
  });

  it('When the merchant resends an event, then it is delivered again with the same id, and the attempts go on counting', async () => {
    const m = await stack.newMerchant('WHRESEND', 'key-secret-4');
    const receiver = await startReceiver([]);
    try {
      await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { webhookUrl: receiver.url } });
      const paid = await stack.paidAtTwoCheckout({ ...m, secretKey: 'key-secret-4' }, 'WH-S1');
      await stack.postIpn(m.merchantId, paid.body);
      await eventually(() => (receiver.received.length === 1 ? true : undefined));
      const eventId = JSON.parse(receiver.received[0]!.body).id as string;

      const resend = await stack.call('POST', `/v1/webhook-events/${eventId}/resend`, { token: m.apiKey });
      expect(resend.status).toBe(202);
      expect(resend.json).toEqual({ eventId, workflowId: expect.stringMatching(`^webhook-${eventId}-resend-`) });
      await eventually(() => (receiver.received.length === 2 ? true : undefined));
      expect(JSON.parse(receiver.received[1]!.body)).toMatchObject({ id: eventId, type: 'invoice.paid' });
      const attempts = await eventually(async () => {
        const res = await stack.call('GET', `/v1/webhook-deliveries?eventId=${eventId}`, { token: m.apiKey });
        return res.json.data.every((d: { state: string }) => d.state === 'succeeded') ? res.json.data : undefined;
      });
      expect(attempts.map((d: { attempt: number }) => d.attempt)).toEqual([2, 1]);

      // Another merchant cannot resend it, nor see its attempts.
      const other = await stack.newMerchant('WHOTHER', 'key-secret-5');
      const foreign = await stack.call('POST', `/v1/webhook-events/${eventId}/resend`, { token: other.apiKey });
      expect([foreign.status, foreign.json.error.code]).toEqual([404, 'not_found']);
      const seen = await stack.call('GET', `/v1/webhook-deliveries?eventId=${eventId}`, { token: other.apiKey });
      expect(seen.json.data).toEqual([]);
      const noUrl = await stack.call('POST', `/v1/webhook-events/evt_1/resend`, { token: other.apiKey });
      expect(noUrl.status).toBe(404);
      const bad = await stack.call('POST', `/v1/webhook-events/42/resend`, { token: m.apiKey });
      expect(bad.status).toBe(400);
    } finally {
      await receiver.close();
    }
  });

  it('When an invoice is canceled, then that change is announced too; a merchant without a webhook URL gets none', async () => {
    const m = await stack.newMerchant('WHCANCEL', 'key-secret-6');
    const receiver = await startReceiver([]);
    try {
      await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { webhookUrl: receiver.url } });
      const { json: invoice } = await stack.call('POST', '/v1/invoices', {
        token: m.apiKey,
        body: { productId: m.productId },
      });
      await stack.call('POST', `/v1/invoices/${invoice.id}/cancel`, { token: m.apiKey, body: {} });
      await eventually(() => (receiver.received.length === 1 ? true : undefined));
      expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({
        type: 'invoice.canceled',
        data: { invoice: { id: invoice.id, status: 'canceled' } },
      });

      const quiet = await stack.newMerchant('WHNONE', 'key-secret-7');
      const paid = await stack.paidAtTwoCheckout({ ...quiet, secretKey: 'key-secret-7' }, 'WH-N1');
      await stack.postIpn(quiet.merchantId, paid.body);
      await eventually(async () => ((await stack.statusOf(quiet.apiKey, paid.id)) === 'paid' ? true : undefined));
      expect(await stack.db('webhook_deliveries').where({ merchant_id: quiet.merchantId })).toEqual([]);
      const listed = stack.env.client.workflow.list({ query: `InvoiceId = '${paid.id}'` });
      const types: string[] = [];
      for await (const w of listed) types.push(w.type);
      expect(types).toEqual(['invoiceWorkflow']);
    } finally {
      await receiver.close();
    }
  });

  it('When the merchant removes its webhook URL while an event is being retried, then the delivery stops and says why', async () => {
    const m = await stack.newMerchant('WHSTOP', 'key-secret-8');
    const receiver = await startReceiver(Array(1000).fill(500));
    try {
      await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { webhookUrl: receiver.url } });
      const paid = await stack.paidAtTwoCheckout({ ...m, secretKey: 'key-secret-8' }, 'WH-T1');
      await stack.postIpn(m.merchantId, paid.body);
      await eventually(() => (receiver.received.length >= 2 ? true : undefined));
      await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { webhookUrl: null } });
      const eventId = JSON.parse(receiver.received[0]!.body).id as string;
      const result = await stack.env.client.workflow.getHandle<typeof webhookWorkflow>(`webhook-${eventId}`).result();
      expect(result).toEqual({
        eventId,
        delivered: false,
        reason: 'The merchant no longer has a webhook URL',
      });
    } finally {
      await receiver.close();
    }
  });
});
