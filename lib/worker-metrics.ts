import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** How a request to 2Checkout's REST API ended: `ok` (an answer, 404 included), or why the activity will retry. */
export type TwoCheckoutOutcome = 'ok' | 'unreachable' | 'rejected';

/**
 * The worker's Prometheus metrics, in a registry of their own (never prom-client's global one, so a worker and an
 * api in one test process do not collide). Activities reach them through `ActivityDeps.metrics`.
 */
export function createWorkerMetrics(opts: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const twoCheckoutRequestDuration = new Histogram({
    name: 'twocheckout_api_request_duration_seconds',
    help: "Time of one request to 2Checkout's REST API (verifying a payment), by operation and outcome",
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
    registers: [registry],
  });
  const twoCheckoutRequests = new Counter({
    name: 'twocheckout_api_requests_total',
    help: "Requests to 2Checkout's REST API by operation and outcome: ok, unreachable (network, 5xx, bad JSON) or rejected (401/403); each non-ok one is retried by the workflow",
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  });
  const webhookDeliveryAttempts = new Counter({
    name: 'webhook_delivery_attempts_total',
    help: "Attempts to POST an event to a merchant's webhook URL, by outcome: succeeded (2xx) or failed (retried with backoff)",
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return {
    registry,
    webhookDeliveryAttempts,
    /** Counts and times one request to 2Checkout's REST API. */
    twoCheckoutRequest(operation: string, outcome: TwoCheckoutOutcome, seconds: number) {
      twoCheckoutRequests.inc({ operation, outcome });
      twoCheckoutRequestDuration.observe({ operation, outcome }, seconds);
    },
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

/** `GET /metrics` of a registry on its own port (the worker has no HTTP server otherwise); 0 picks a free port. */
export async function serveMetrics(
  registry: Registry,
  port: number,
  host?: string,
  /** More metrics in the text format, appended (the Temporal SDK's own). */
  more?: () => Promise<string>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found: the metrics are at /metrics\n');
      return;
    }
    Promise.all([registry.metrics(), more?.() ?? ''])
      .then(([ours, theirs]) => `${ours}${theirs && !ours.endsWith('\n') ? '\n' : ''}${theirs}`)
      .then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${String(err)}\n`),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host ?? '127.0.0.1'}:${address.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
