import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { secretFingerprint } from '../../api/views';
import { API_VERSION } from '../../lib/api-version';
import { webhookWorkflow } from '../../workflows/webhook';
import { eventually } from '../helpers/eventually';
import { serve } from '../helpers/listen';
import { ADMIN_TOKEN, startStack } from '../helpers/stack';

type Stack = Awaited<ReturnType<typeof startStack>>;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/**
 * The merchant's system, written from the README's instructions only: it checks the signature with the official
 * Standard Webhooks library (not the service's code) and answers with the next status of `script` (then 200).
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

/**
 * What a receiver does, as Standard Webhooks' own library checks it: webhook-timestamp at most 5 minutes away, and
 * the HMAC of "<webhook-id>.<webhook-timestamp>.<raw body>" matching one of the signatures (two during a rotation).
 */
function verify(secret: string, headers: IncomingHttpHeaders, rawBody: string, atMs = Date.now()): boolean {
  const clock = jest.spyOn(Date, 'now').mockReturnValue(atMs);
  try {
    new Webhook(secret).verify(rawBody, headers as Record<string, string>);
    return true;
  } catch {
    return false;
  } finally {
    clock.mockRestore();
  }
}

describe('Webhooks to the merchant, delivered by Temporal', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ webhookPolicy: { firstRetryMs: 300, retryForMs: 120_000 } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** A status change of a new invoice of the merchant (canceled), announced by webhook; the invoice's id. */
  async function announce(m: { apiKey: string; productId: string }): Promise<string> {
    const { json: invoice } = await stack.call('POST', '/v1/invoices', {
      token: m.apiKey,
      body: { productId: m.productId },
    });
    await stack.call('POST', `/v1/invoices/${invoice.id}/cancel`, { token: m.apiKey, body: {} });
    return invoice.id as string;
  }

  /** The first attempt at the invoice's webhook, once it has ended, as /v1/webhook-deliveries shows it. */
  function firstAttempt(apiKey: string, invoiceId: string): Promise<Record<string, unknown>> {
    return eventually(async () => {
      const res = await stack.call('GET', `/v1/webhook-deliveries?invoiceId=${invoiceId}`, { token: apiKey });
      const first = res.json.data.at(-1);
      return first && first.state !== 'pending' ? first : undefined;
    });
  }

  it('When a merchant sets a webhook URL, then the signing secret is shown once and as a fingerprint afterwards', async () => {
    const m = await stack.newMerchant('WHSECRET', 'key-secret-1');
    const receiver = await startReceiver([]);
    try {
      const set = await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { webhookUrl: receiver.url } });
      expect(set.status).toBe(200);
      const secret = set.json.webhookSecret as string;
      // standard base64, as Standard Webhooks libraries decode it
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);

      const read = await stack.call('GET', '/v1/merchant', { token: m.apiKey });
      expect(read.json).toMatchObject({ webhookUrl: receiver.url, webhookSecret: secretFingerprint(secret) });
      const again = await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { name: 'Renamed' } });
      expect(again.json.webhookSecret).toBe(secretFingerprint(secret));

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
        apiVersion: API_VERSION,
        livemode: invoice.json.livemode,
        data: {
          invoice: { ...invoice.json, events: undefined, refunds: undefined },
          previousStatus: paidEvent.from,
        },
      });
      for (const r of receiver.received) {
        expect(r.headers['webhook-id']).toBe(event.id);
        expect(r.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
        expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
        expect(r.headers['content-type']).toBe('application/json');
        expect(verify(secret, r.headers, r.body)).toBe(true);
        expect(verify(`whsec_${Buffer.from('wrong').toString('base64')}`, r.headers, r.body)).toBe(false);
        const sentAtMs = Number(r.headers['webhook-timestamp']) * 1000;
        expect(verify(secret, r.headers, r.body, sentAtMs + 301_000)).toBe(false);
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
      // the same event, byte for byte, under the same webhook-id
      expect(receiver.received[1]!.body).toBe(receiver.received[0]!.body);
      expect(receiver.received[1]!.headers['webhook-id']).toBe(eventId);
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
  it('When the receiver answers with a redirect to an address inside, then it is not followed: the attempt fails saying so, and that address gets nothing', async () => {
    const inside: string[] = [];
    const control = await serve((req, res) => {
      inside.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"refunded":true}');
    });
    const redirector = await serve((req, res) => {
      req.resume();
      res.writeHead(307, { Location: `${control.url}/api/orders/R1/refund` }).end();
    });
    const m = await stack.newMerchant('WHREDIRECT', 'key-secret-9');
    try {
      await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { webhookUrl: `${redirector.url}/hooks` } });
      const attempt = await firstAttempt(m.apiKey, await announce(m));
      expect(attempt).toMatchObject({
        state: 'failed',
        responseStatus: 307,
        responseExcerpt: null,
        error: 'A redirect: set the final URL as webhookUrl',
      });
      expect(inside).toEqual([]);
    } finally {
      await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { webhookUrl: null } });
      await redirector.close();
      await control.close();
    }
  });

  it('When the receiver answers 1 MiB and holds back most of it, then only the first 4 KiB is read: the attempt ends with its status and 500 characters, and the connection is closed', async () => {
    let hungUp = false;
    const receiver = await serve((req, res) => {
      req.resume();
      req.on('end', () => {
        res.on('close', () => (hungUp = true));
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(1 << 20) });
        // 16 KiB now; the rest never comes, so a client that reads the whole answer waits until its timeout
        res.write('x'.repeat(16 * 1024));
      });
    });
    const m = await stack.newMerchant('WHBIG', 'key-secret-10');
    try {
      await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { webhookUrl: `${receiver.url}/hooks` } });
      const attempt = await firstAttempt(m.apiKey, await announce(m));
      expect(attempt).toMatchObject({
        state: 'succeeded',
        responseStatus: 200,
        responseExcerpt: 'x'.repeat(500),
        error: null,
      });
      await eventually(() => (hungUp ? true : undefined), 20_000, 'the worker to close the connection');
    } finally {
      await receiver.close();
    }
  });

  it('When the signing secret is rotated, then webhooks carry both signatures during the overlap and only the new one after it', async () => {
    const m = await stack.newMerchant('WHROTATE', 'key-secret-11');
    const receiver = await startReceiver([]);
    const received = async (invoiceId: string) => {
      const r = await eventually(() => receiver.received.find((x) => JSON.parse(x.body).data.invoice.id === invoiceId));
      return { header: r.headers['webhook-signature'] as string, headers: r.headers, body: r.body };
    };
    try {
      const first = await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { webhookUrl: receiver.url } });
      const oldSecret = first.json.webhookSecret as string;

      const rotated = await stack.call('PATCH', '/v1/merchant', {
        token: m.apiKey,
        body: { rotateWebhookSecret: true },
      });
      expect(rotated.status).toBe(200);
      const newSecret = rotated.json.webhookSecret as string;
      expect(newSecret).not.toBe(oldSecret);
      const row = await stack.db('merchants').where({ id: m.merchantId }).first();
      // the default overlap: 24 hours from the rotation
      expect(row.webhook_previous_secret_expires_at.getTime() - Date.now()).toBeGreaterThan(23.9 * 3600_000);
      expect(row.webhook_previous_secret_expires_at.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

      // During the overlap: a receiver still on the old secret and one already on the new both accept.
      const during = await received(await announce(m));
      expect(during.header).toMatch(/^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=$/);
      expect(verify(newSecret, during.headers, during.body)).toBe(true);
      expect(verify(oldSecret, during.headers, during.body)).toBe(true);
      expect(verify(`whsec_${Buffer.from('wrong').toString('base64')}`, during.headers, during.body)).toBe(false);

      // After it (its end moved to the past, as 24 hours would): the new secret only.
      await stack
        .db('merchants')
        .where({ id: m.merchantId })
        .update({ webhook_previous_secret_expires_at: new Date(Date.now() - 1000) });
      const after = await received(await announce(m));
      expect(after.header).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(verify(newSecret, after.headers, after.body)).toBe(true);
      expect(verify(oldSecret, after.headers, after.body)).toBe(false);

      // No overlap asked for: the replaced secret stops at once.
      const abrupt = await stack.call('PATCH', '/v1/merchant', {
        token: m.apiKey,
        body: { rotateWebhookSecret: true, previousWebhookSecretExpiresIn: 0 },
      });
      const latest = abrupt.json.webhookSecret as string;
      const once = await received(await announce(m));
      expect(verify(latest, once.headers, once.body)).toBe(true);
      expect(verify(newSecret, once.headers, once.body)).toBe(false);

      for (const body of [
        { previousWebhookSecretExpiresIn: 60 },
        { rotateWebhookSecret: true, previousWebhookSecretExpiresIn: 8 * 86400 },
        { rotateWebhookSecret: true, previousWebhookSecretExpiresIn: -1 },
        { rotateWebhookSecret: true, previousWebhookSecretExpiresIn: '3600' },
      ]) {
        const res = await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body });
        expect([res.status, res.json.error.code]).toEqual([400, 'invalid_request']);
      }
    } finally {
      await receiver.close();
    }
  });

  it('When a live merchant sets an http:// webhook URL, or turns live with one, then 400 and nothing changes; one stored before is not sent to', async () => {
    const created = await stack.call('POST', '/v1/merchants', {
      token: ADMIN_TOKEN,
      body: {
        name: 'Live shop',
        twocheckout: { merchantCode: 'WHLIVE', secretKey: 'k', buyLinkSecretWord: 'w', environment: 'live' },
      },
    });
    const apiKey = created.json.apiKey as string;
    const refused = await stack.call('PATCH', '/v1/merchant', {
      token: apiKey,
      body: { webhookUrl: 'http://shop.example/hooks' },
    });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toEqual({
      code: 'invalid_request',
      message: 'webhookUrl: must be https:// for a live merchant (payment events are not sent in clear)',
      param: 'webhookUrl',
      errors: [
        { field: 'webhookUrl', message: 'must be https:// for a live merchant (payment events are not sent in clear)' },
      ],
      docUrl: `${stack.apiUrl}/docs/errors#invalid_request`,
      requestId: refused.headers.get('x-request-id'),
    });
    const accepted = await stack.call('PATCH', '/v1/merchant', {
      token: apiKey,
      body: { webhookUrl: 'https://shop.example/hooks' },
    });
    expect([accepted.status, accepted.json.webhookUrl]).toEqual([200, 'https://shop.example/hooks']);

    const m = await stack.newMerchant('WHTOLIVE', 'key-secret-12');
    const receiver = await startReceiver([]);
    try {
      await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { webhookUrl: receiver.url } });
      const turning = await stack.call('PATCH', '/v1/merchant', {
        token: m.apiKey,
        body: { twocheckout: { environment: 'live' } },
      });
      expect([turning.status, turning.json.error.code]).toEqual([400, 'invalid_request']);
      const read = await stack.call('GET', '/v1/merchant', { token: m.apiKey });
      expect(read.json).toMatchObject({ twocheckout: { environment: 'sandbox' }, webhookUrl: receiver.url });

      // A live merchant with an http:// URL from before this rule: the attempt fails, saying why, and sends nothing.
      await stack.db('merchants').where({ id: m.merchantId }).update({ twocheckout_environment: 'live' });
      const attempt = await firstAttempt(m.apiKey, await announce(m));
      expect(attempt).toMatchObject({
        state: 'failed',
        responseStatus: null,
        responseExcerpt: null,
        error: 'Not sent: the webhook URL must be https:// for a live merchant (payment events are not sent in clear)',
      });
      expect(receiver.received).toEqual([]);
    } finally {
      await stack.db('merchants').where({ id: m.merchantId }).update({ webhook_url: null });
      await receiver.close();
    }
  });
});
