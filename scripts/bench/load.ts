import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { serializeIpn, signIpnFields, type IpnField } from '../../lib/twocheckout';
import { percentile } from './measure';

export interface Latencies {
  readonly sent: number;
  readonly ok: number;
  readonly errors: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
}

/**
 * Sends `send()` at a fixed `rate` per second for `seconds` (or until `stop()`), whatever the answers' pace — an open
 * model, as 2Checkout sends IPNs — and keeps every latency, so percentiles are exact.
 */
export async function paced(
  rate: number,
  seconds: number,
  send: () => Promise<boolean>,
  stop: () => boolean = () => false,
): Promise<Latencies> {
  const latencies: number[] = [];
  const inflight: Promise<void>[] = [];
  let errors = 0;
  const start = performance.now();
  for (let i = 0; performance.now() - start < seconds * 1000 && !stop(); i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    inflight.push(
      send().then(
        (ok) => {
          if (ok) latencies.push(performance.now() - t0);
          else errors++;
        },
        () => void errors++,
      ),
    );
  }
  const sentFor = (performance.now() - start) / 1000;
  await Promise.all(inflight);
  return {
    sent: inflight.length,
    ok: latencies.length,
    errors,
    seconds: sentFor,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    perSecond: latencies.length / sentFor,
  };
}

/** As many requests as `connections` keep in flight, for `seconds`: the most a server answers (autocannon). */
export async function saturate(opts: {
  url: string;
  connections: number;
  seconds?: number;
  amount?: number;
  method?: 'POST' | 'GET';
  headers?: Record<string, string>;
  body?: () => string;
}): Promise<Latencies & { non2xx: number }> {
  const result = await autocannon({
    url: opts.url,
    connections: opts.connections,
    timeout: 60, // seconds: a slow answer is a latency to report, not an error (autocannon's default is 10)
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.seconds ?? 10 }),
    method: opts.method ?? 'POST',
    headers: opts.headers ?? {},
    requests: [
      {
        method: opts.method ?? 'POST',
        setupRequest: (req) => (opts.body ? { ...req, body: opts.body() } : req),
      },
    ],
  });
  const ok = result['2xx'];
  return {
    sent: result.requests.total,
    ok,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    perSecond: ok / result.duration,
  };
}

/**
 * Signed IPN bodies as 2Checkout sends them for a paid order of `invoiceId`, each with a RefNo of its own (so none is
 * a duplicate); signed ahead of the run, so signing does not slow the load generator.
 */
export function ipnBodies(secretKey: string, invoiceIds: readonly string[], count: number): string[] {
  const run = randomBytes(3).toString('hex');
  return Array.from({ length: count }, (_, i) => {
    const refNo = `B${run}${i}`;
    const fields: IpnField[] = Object.entries({
      SALEDATE: '2026-11-29 12:00:00',
      REFNO: refNo,
      REFNOEXT: invoiceIds[i % invoiceIds.length]!,
      ORDERNO: String(i),
      ORDERSTATUS: 'COMPLETE',
      PAYMETHOD: 'Visa/MasterCard',
      FIRSTNAME: 'Иван',
      LASTNAME: 'Петров',
      CUSTOMEREMAIL: 'ivan@example.com',
      CURRENCY: 'RUB',
      IPN_PID: ['1'],
      IPN_PNAME: ['Bench product'],
      IPN_QTY: ['1'],
      IPN_PRICE: ['50.00'],
      IPN_TOTAL: ['50.00'],
      IPN_TOTALGENERAL: '50.00',
      TEST_ORDER: '1',
      IPN_DATE: '20261129120000',
    }).map(([name, v]) =>
      Array.isArray(v) ? { name, array: true as const, values: v } : { name, array: false as const, value: v },
    );
    return serializeIpn(signIpnFields(fields, secretKey));
  });
}

/** POSTs the next body of `bodies` to `url`; true on 200. */
export function ipnSender(url: string, bodies: readonly string[]) {
  let next = 0;
  return async () => {
    const body = bodies[next++ % bodies.length]!;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    });
    await response.arrayBuffer();
    return response.status === 200;
  };
}
