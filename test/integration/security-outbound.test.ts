import { createSandbox } from '../../sandbox/app';
import { eventually } from '../helpers/eventually';
import { serve } from '../helpers/listen';
import { startStack, type Stack } from '../helpers/stack';

/**
 * Issue 13, row 2: a merchant's webhookUrl pointed at the sandbox's control API (`/api/orders/…/refund`) made the
 * worker POST there, and /v1/webhook-deliveries showed the JSON it answered. Here the worker runs as in production
 * (WEBHOOK_ALLOW_PRIVATE_TARGETS off): every address that is not public is refused as the connection would open.
 */
describe('Webhooks to addresses inside the deployment', () => {
  let stack: Stack;
  let sandbox: Awaited<ReturnType<typeof serve>>;
  let stopSandbox: () => void;
  /** Every request the 2Checkout sandbox received. */
  const seen: string[] = [];

  beforeAll(async () => {
    // one attempt per event during a test: the first retry would come a minute later
    stack = await startStack({
      allowPrivateWebhookTargets: false,
      webhookPolicy: { firstRetryMs: 60_000, retryForMs: 120_000 },
    });
    const app = createSandbox({
      retryScale: 0.001,
      settleDelayMs: 1500,
      fetch: globalThis.fetch,
      clock: () => new Date(),
    });
    stopSandbox = () => app.stop();
    sandbox = await serve((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      app.app(req, res);
    });
  });
  afterAll(async () => {
    stopSandbox?.();
    await sandbox?.close();
    await stack?.close();
  });

  it('When the webhook URL is the sandbox, the metadata address or any other non-public address, however written, then nothing is sent, the attempt says why, and no answer is shown', async () => {
    const port = sandbox.port;
    const targets: [url: string, error: RegExp][] = [
      // the attack, as reported
      [`${sandbox.url}/api/orders/R1/refund`, /^127\.0\.0\.1, which is not a public address \(loopback\)/],
      // a name that resolves to loopback: refused after DNS, where the socket opens (DNS rebinding gets no further)
      [
        `http://localhost:${port}/api/orders/R1/refund`,
        /^localhost resolves to (127\.0\.0\.1|::1), which is not a public address \(loopback\)/,
      ],
      // other spellings of loopback
      [
        `http://[::ffff:127.0.0.1]:${port}/api/orders/R1/refund`,
        /^::ffff:7f00:1, which is not a public address \(loopback\)/,
      ],
      [`http://2130706433:${port}/api/orders/R1/refund`, /^127\.0\.0\.1, which is not a public address \(loopback\)/],
      [`http://0.0.0.0:${port}/api/orders/R1/refund`, /^0\.0\.0\.0, which is not a public address \(unspecified\)/],
      // the cloud metadata service, a private network, an IPv6 unique-local address
      ['http://169.254.169.254/latest/meta-data/', /^169\.254\.169\.254, which is not a public address \(linkLocal\)/],
      ['http://10.0.0.7/hooks', /^10\.0\.0\.7, which is not a public address \(private\)/],
      ['http://[fd00::7]/hooks', /^fd00::7, which is not a public address \(uniqueLocal\)/],
    ];
    const outcomes = [];
    for (const [i, [url]] of targets.entries()) {
      const m = await stack.newMerchant(`SSRF${i}`, `key-secret-${i}`);
      const set = await stack.call('PATCH', '/v1/merchant', { token: m.apiKey, body: { webhookUrl: url } });
      expect(set.status).toBe(200);
      const { json: invoice } = await stack.call('POST', '/v1/invoices', {
        token: m.apiKey,
        body: { productId: m.productId },
      });
      await stack.call('POST', `/v1/invoices/${invoice.id}/cancel`, { token: m.apiKey, body: {} });
      outcomes.push(
        await eventually(async () => {
          const res = await stack.call('GET', `/v1/webhook-deliveries?invoiceId=${invoice.id}`, { token: m.apiKey });
          const first = res.json.data.at(-1);
          return first && first.state !== 'pending' ? first : undefined;
        }),
      );
    }

    for (const [i, [url, error]] of targets.entries()) {
      expect(outcomes[i]).toMatchObject({ url, state: 'failed', responseStatus: null, responseExcerpt: null });
      expect({ url, error: outcomes[i].error.replace(/^Not sent: /, '') }).toEqual({
        url,
        error: expect.stringMatching(error),
      });
      expect(outcomes[i].error).toMatch(/^Not sent: .*: webhooks go to public addresses only$/);
    }
    expect(seen).toEqual([]);
  });
});
