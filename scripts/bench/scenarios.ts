import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { startService } from '../../lib/child-process';
import { ipnBodies, ipnSender, paced, saturate, type Latencies } from './load';
import { cpuUse, fileSize, mib, ms, percentile, processTree, type ProcessTimes } from './measure';
import { workflowIdOf } from '../../workflows/shared';
import type { Baseline } from './baseline';
import type { BenchStack } from './stack';

/** One line of the results table. */
export interface Figure {
  readonly scenario: string;
  readonly measure: string;
  readonly value: string;
  readonly goal?: string;
}

export interface BenchContext {
  readonly stack: BenchStack;
  readonly db: Knex;
  readonly merchant: { apiKey: string; merchantId: string; productId: string; secretKey: string };
  readonly figures: Figure[];
  /** The trivial workflow on the same Temporal server, when the bench can reach it: ours is reported as a ratio. */
  readonly baseline?: Baseline;
  log(message: string): void;
}

const json = (apiKey: string) => ({ Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' });

/** A merchant of the sandbox taking test orders, with a 50.00 RUB product: what every scenario pays. */
export async function benchMerchant(stack: BenchStack) {
  const secretKey = `bench-${randomBytes(12).toString('hex')}`;
  const created = await post(stack.apiUrl, '/v1/merchants', stack.adminToken, {
    name: 'Bench shop',
    twocheckout: {
      merchantCode: `BENCH${randomBytes(3).toString('hex').toUpperCase()}`,
      secretKey,
      buyLinkSecretWord: 'bench-buy-link-secret-word',
      environment: 'sandbox',
      testOrders: true,
    },
  });
  const apiKey = created.apiKey as string;
  const product = await post(stack.apiUrl, '/v1/products', apiKey, {
    name: 'Bench product',
    price: '50.00',
    currency: 'RUB',
  });
  // Warm-up: the worker bundles its workflows after the api answers, and the code paths need their first runs.
  for (let i = 0; i < 20; i++) await post(stack.apiUrl, '/v1/invoices', apiKey, { productId: product.id });
  return { apiKey, merchantId: created.id as string, productId: product.id as string, secretKey };
}

async function post(apiUrl: string, path: string, token: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${apiUrl}${path}`, {
    method: 'POST',
    headers: json(token),
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer;
}

/** How many rows a query matches. */
async function count(query: Knex.QueryBuilder): Promise<number> {
  const [row] = await query.count<{ n: string }[]>({ n: '*' });
  return Number(row?.n ?? 0);
}

/** CPU of each process of the stack while `run` runs: what bounds a figure. */
async function profiled<T>(ctx: BenchContext, run: () => Promise<T>): Promise<{ result: T; cpu: string }> {
  const pids = [ctx.stack.pid].filter((p): p is number => p !== null);
  const before = (await Promise.all(pids.map(processTree))).flat();
  const started = performance.now();
  const result = await run();
  const seconds = (performance.now() - started) / 1000;
  const after = (await Promise.all(pids.map(processTree))).flat();
  return { result, cpu: pids.length ? cpuUse(before, after, seconds) : 'not measured (stack not started here)' };
}

/** Invoices created through the API, `concurrency` at a time, until `amount` are made. */
async function createInvoices(ctx: BenchContext, amount: number, body: () => Record<string, unknown>) {
  return saturate({
    url: `${ctx.stack.apiUrl}/v1/invoices`,
    connections: 16,
    amount,
    headers: json(ctx.merchant.apiKey),
    body: () => JSON.stringify(body()),
  });
}

/** 1. POST /v1/invoices answered 201 with the checkout link the workflow made, at a fixed concurrency. */
export async function invoiceCreation(ctx: BenchContext, o: { seconds: number; concurrency: number }) {
  ctx.log(`invoice creation: ${o.concurrency} at a time for ${o.seconds} s…`);
  const since = new Date();
  const { result, cpu } = await profiled(ctx, () =>
    saturate({
      url: `${ctx.stack.apiUrl}/v1/invoices`,
      connections: o.concurrency,
      seconds: o.seconds,
      headers: json(ctx.merchant.apiKey),
      body: () => JSON.stringify({ productId: ctx.merchant.productId }),
    }),
  );
  const linked = await count(
    ctx
      .db('invoices')
      .where({ merchant_id: ctx.merchant.merchantId })
      .where('created_at', '>=', since)
      .whereNotNull('checkout_url'),
  );
  const s = 'invoice creation';
  // the API answers once the run is started; its first task (the timer) may still be queued behind others
  const last = await ctx
    .db('invoices')
    .where({ merchant_id: ctx.merchant.merchantId })
    .orderBy('created_at', 'desc')
    .first<{ id: string } | undefined>('id');
  const behind = ctx.baseline && last ? await ctx.baseline.firstTaskAfter(workflowIdOf(last.id), 600) : undefined;
  if (behind !== undefined)
    ctx.figures.push({
      scenario: s,
      measure: "the last invoice's first workflow task done, after the load stopped",
      value: Number.isFinite(behind) ? `${behind.toFixed(1)} s` : 'not within 600 s',
    });
  ctx.figures.push(
    {
      scenario: s,
      measure: `invoices/s sustained (${o.seconds} s, concurrency ${o.concurrency})`,
      value: result.perSecond.toFixed(1),
      goal: '≥ 90/s at 16 clients',
    },
    { scenario: s, measure: 'latency p50 / p99', value: `${ms(result.p50)} / ${ms(result.p99)}`, goal: 'p99 ≤ 300 ms' },
    {
      scenario: s,
      measure: 'answered 201 / errors / other status',
      value: `${result.ok} / ${result.errors} / ${result.non2xx}`,
    },
    { scenario: s, measure: 'invoices with their checkout link in PostgreSQL', value: String(linked) },
    { scenario: s, measure: 'CPU by process (100% = one core)', value: cpu },
  );
  if (ctx.baseline) {
    ctx.log(`trivial plain start on the same server: ${o.concurrency} at a time for ${o.seconds} s…`);
    const trivial = await ctx.baseline.creation(o.seconds, o.concurrency);
    ctx.figures.push(
      {
        scenario: s,
        measure: 'baseline: trivial workflow, plain start — /s, p50 / p99',
        value: `${trivial.perSecond.toFixed(1)}/s, ${ms(trivial.p50)} / ${ms(trivial.p99)}; its last first task ${trivial.behind.toFixed(1)} s after the load stopped`,
      },
      {
        scenario: s,
        measure: 'ours ÷ baseline (rate)',
        value: (result.perSecond / trivial.perSecond).toFixed(2),
        goal: '≥ 0.8',
      },
    );
  }
  return result.perSecond;
}

/** 2. IPN acknowledgement: steady, burst and saturation, against the api and against the bare node:http floor. */
export async function ipnReceipt(
  ctx: BenchContext,
  o: { rate: number; seconds: number; burstRate: number; burstSeconds: number },
) {
  const { ids: pool } = await invoicePool(ctx, 1000);
  const count = o.rate * o.seconds + o.burstRate * o.burstSeconds + 40_000;
  ctx.log(`IPN receipt: signing ${count} IPNs for each target…`);
  const targets = [
    { name: 'api', url: `${ctx.stack.apiUrl}/ipn/2checkout/${ctx.merchant.merchantId}` },
    { name: 'floor', url: await startFloor(ctx) },
  ];
  const results: Record<
    string,
    { steady: Latencies; burst: Latencies; max: Latencies; cpu: string; caughtUp: { backlog: number; seconds: number } }
  > = {};
  try {
    for (const target of targets.map((t) => ({ ...t, bodies: ipnBodies(ctx.merchant.secretKey, pool, count) }))) {
      const send = ipnSender(target.url, target.bodies);
      ctx.log(
        `IPN receipt (${target.name}): ${o.rate}/s for ${o.seconds} s, ${o.burstRate}/s for ${o.burstSeconds} s, then as fast as it answers for 10 s…`,
      );
      const steady = await paced(o.rate, o.seconds, send);
      const burst = await paced(o.burstRate, o.burstSeconds, send);
      const rest = target.bodies.slice(o.rate * o.seconds + o.burstRate * o.burstSeconds + 10);
      let n = 0;
      const { result: max, cpu } = await profiled(ctx, () =>
        saturate({ url: target.url, connections: 32, seconds: 10, body: () => rest[n++ % rest.length]! }),
      );
      const caughtUp = await settle(ctx); // the workflows' backlog must not weigh on the next run
      results[target.name] = { steady, burst, max, cpu, caughtUp };
    }
  } finally {
    await stopFloor();
  }
  const s = 'IPN receipt';
  for (const [name, r] of Object.entries(results)) {
    ctx.figures.push(
      {
        scenario: s,
        measure: `${name}: ${o.rate}/s steady — p50 / p99 (answered / sent)`,
        value: `${ms(r.steady.p50)} / ${ms(r.steady.p99)} (${r.steady.ok}/${r.steady.sent})`,
        ...(name === 'api' && { goal: 'p99 ≤ 50 ms' }),
      },
      {
        scenario: s,
        measure: `${name}: ${o.burstRate}/s burst — p50 / p99, achieved rate`,
        value: `${ms(r.burst.p50)} / ${ms(r.burst.p99)}, ${r.burst.perSecond.toFixed(0)}/s (${r.burst.ok}/${r.burst.sent})`,
      },
      {
        scenario: s,
        measure: `${name}: most answered (32 connections, 10 s)`,
        value: `${r.max.perSecond.toFixed(0)}/s, p99 ${ms(r.max.p99)}`,
      },
      { scenario: s, measure: `${name}: CPU by process at the most`, value: r.cpu },
      ...(name === 'api'
        ? [
            {
              scenario: s,
              measure: 'api: workflows done with every IPN, after the last was answered',
              value: `${r.caughtUp.seconds.toFixed(0)} s (${r.caughtUp.backlog} of ${r.steady.ok + r.burst.ok + r.max.ok} IPNs left then: ${(r.caughtUp.backlog / r.caughtUp.seconds).toFixed(0)}/s)`,
            },
          ]
        : []),
    );
  }
  const ours = results.api!.caughtUp;
  if (ctx.baseline && ours.backlog > 0) {
    ctx.log(`IPN catch-up baseline: ${ours.backlog} signals to ${pool.length} trivial inboxes, one activity each…`);
    const trivial = await ctx.baseline.catchUp(pool.length, ours.backlog);
    const oursRate = ours.backlog / ours.seconds;
    ctx.figures.push(
      {
        scenario: s,
        measure: 'baseline: trivial signal + one activity, handled per second',
        value: `${trivial.perSecond.toFixed(0)}/s (${trivial.done} in ${trivial.seconds.toFixed(1)} s)`,
      },
      {
        scenario: s,
        measure: 'IPN catch-up: ours ÷ baseline (handled per second)',
        value: (oursRate / trivial.perSecond).toFixed(2),
        goal: '≥ 0.8',
      },
    );
  }
  const ratio = results.api!.max.perSecond / results.floor!.max.perSecond;
  ctx.figures.push({
    scenario: s,
    measure: 'api ÷ floor, most answered',
    value: `${(ratio * 100).toFixed(0)}%`,
    goal: '≥ 30%',
  });
}

/**
 * Invoices for IPNs to name: their workflows get the IPNs, ask the sandbox, and find no such order. A thousand, so
 * that each gets a few IPNs, as real invoices do: a hundred IPNs on one invoice make its history long, and every
 * task of it after a cache eviction replays that history, which is not what production looks like.
 */
async function invoicePool(ctx: BenchContext, size: number): Promise<{ ids: string[]; perSecond: number }> {
  const created = await createInvoices(ctx, size, () => ({ productId: ctx.merchant.productId, expiresIn: 7 * 86400 }));
  const rows = await ctx
    .db('invoices')
    .where({ merchant_id: ctx.merchant.merchantId, status: 'awaiting_payment' })
    .orderBy('created_at', 'desc')
    .limit(size)
    .select<{ id: string }[]>('id');
  return { ids: rows.map((r) => r.id), perSecond: created.perSecond };
}

let floor: Awaited<ReturnType<typeof startService>> | undefined;
const FLOOR_PORT = 3399;

async function startFloor(ctx: BenchContext): Promise<string> {
  let listening!: () => void;
  const up = new Promise<void>((resolve) => (listening = resolve));
  floor = await startService('floor', process.execPath, ['--import', 'tsx', `${__dirname}/ipn-floor.ts`], {
    env: {
      ...process.env,
      DATABASE_URL: ctx.stack.databaseUrl,
      PORT: String(FLOOR_PORT),
      SECRET_KEY: ctx.merchant.secretKey,
    },
    log: (line) => (line.includes('listening') ? listening() : process.stderr.write(`${line}\n`)),
  });
  await up;
  if (ctx.stack.pid === null) ctx.log('floor started; its CPU is not sampled without a stack started here');
  return `http://127.0.0.1:${FLOOR_PORT}/ipn`;
}

async function stopFloor() {
  await floor?.stop();
  floor = undefined;
}

/**
 * Waits until the workflows have handled every stored IPN of an invoice (each has its outcome), so the next target
 * or scenario does not run on their backlog: how many were left when it began, and how long they took.
 */
async function settle(ctx: BenchContext, timeoutMs = 1_800_000): Promise<{ backlog: number; seconds: number }> {
  const started = performance.now();
  const left = () =>
    count(ctx.db('ipn_events').where({ verdict: 'verified' }).whereNotNull('invoice_id').whereNull('outcome'));
  const backlog = await left();
  while (performance.now() - started < timeoutMs && (await left()) > 0) await new Promise((r) => setTimeout(r, 1000));
  return { backlog, seconds: (performance.now() - started) / 1000 };
}

/** A buyer pays `invoiceId` on the sandbox with the success card; the sandbox then sends the COMPLETE IPN. */
async function payOnSandbox(ctx: BenchContext, checkoutUrl: string) {
  const response = await fetch(`${ctx.stack.sandboxUrl}/checkout/pay`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({
      link: new URL(checkoutUrl).search.slice(1),
      name: 'Bench Buyer',
      email: 'buyer@example.com',
      card: '4111111111111111',
    }),
  });
  await response.arrayBuffer();
  if (response.status >= 400) throw new Error(`the sandbox refused the payment: HTTP ${response.status}`);
}

/** From the COMPLETE IPN's arrival (ipn_events.received_at) to the row turning paid (paid_at): one clock, PostgreSQL's. */
async function ipnToPaid(ctx: BenchContext, invoiceIds: readonly string[], timeoutMs = 600_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await ctx.db.raw<{ rows: { id: string; ms: string | null }[] }>(
      `select i.id, extract(epoch from (i.paid_at - e.received_at)) * 1000 as ms
         from invoices i
         left join lateral (select min(received_at) as received_at from ipn_events
                             where invoice_id = i.id and order_status in ('PAYMENT_AUTHORIZED', 'COMPLETE')
                               and verdict = 'verified') e on true
        where i.id = any(?)`,
      [invoiceIds as string[]],
    );
    const done = rows.rows.filter((r) => r.ms !== null);
    if (done.length === invoiceIds.length || Date.now() > deadline) return done.map((r) => Number(r.ms));
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** 3. IPN to paid, with the sandbox's REST check, `payments` buyers paying `concurrency` at a time. */
export async function ipnToPaidScenario(ctx: BenchContext, o: { payments: number; concurrency: number }) {
  ctx.log(`IPN to paid: ${o.payments} payments on the sandbox, ${o.concurrency} at a time…`);
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (next < o.payments) {
        next++;
        const invoice = await post(ctx.stack.apiUrl, '/v1/invoices', ctx.merchant.apiKey, {
          productId: ctx.merchant.productId,
        });
        ids.push(invoice.id as string);
        await payOnSandbox(ctx, invoice.checkoutUrl as string);
        await new Promise((r) => setTimeout(r, 200)); // buyers arrive spread out, not in lockstep
      }
    }),
  );
  const latencies = await ipnToPaid(ctx, ids);
  ctx.figures.push({
    scenario: 'IPN to paid',
    measure: `p50 / p99 (${latencies.length} of ${ids.length} paid)`,
    value: `${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 99))}`,
    goal: 'p50 ≤ 300 ms, p99 ≤ 2 s',
  });
}

/** 4. `count` invoices waiting for payment: memory and disk, then a sample paid among them. */
export async function waitingInvoices(ctx: BenchContext, o: { count: number; maxCachedWorkflows: number }) {
  ctx.log(`waiting invoices: creating ${o.count}…`);
  const started = performance.now();
  const created = await createInvoices(ctx, o.count, () => ({
    productId: ctx.merchant.productId,
    expiresIn: 7 * 86400,
  }));
  const seconds = (performance.now() - started) / 1000;
  // The worker runs each new invoice's first task after the API answered: measure once it has caught up.
  const newest = await ctx
    .db('invoices')
    .where({ merchant_id: ctx.merchant.merchantId })
    .orderBy('created_at', 'desc')
    .first<{ id: string }>('id');
  const lag = ctx.baseline && newest ? await ctx.baseline.firstTaskAfter(workflowIdOf(newest.id), 3600) : NaN;
  await new Promise((r) => setTimeout(r, 5000)); // the worker's caches settle
  const rss = await workerRss(ctx);
  const size = (await ctx.db.raw<{ rows: { size: string }[] }>('select pg_database_size(current_database()) as size'))
    .rows[0]?.size;
  const temporalBytes = ctx.stack.temporalDb ? await fileSize(ctx.stack.temporalDb) : NaN;
  const waiting = await count(
    ctx.db('invoices').where({ merchant_id: ctx.merchant.merchantId, status: 'awaiting_payment' }),
  );

  ctx.log('waiting invoices: paying a sample of 20…');
  const sample = await ctx
    .db('invoices')
    .where({ merchant_id: ctx.merchant.merchantId, status: 'awaiting_payment' })
    .orderByRaw('random()')
    .limit(20)
    .select<{ id: string; checkout_url: string }[]>('id', 'checkout_url');
  for (const invoice of sample) await payOnSandbox(ctx, invoice.checkout_url);
  const latencies = await ipnToPaid(
    ctx,
    sample.map((s) => s.id),
  );
  const s = `waiting invoices (${o.count})`;
  ctx.figures.push(
    {
      scenario: s,
      measure: 'created (201) / errors, at invoices/s',
      value: `${created.ok} / ${created.errors + created.non2xx}, ${(created.ok / seconds).toFixed(1)}/s`,
    },
    {
      scenario: s,
      measure: "the newest invoice's first workflow task ran, after the last was created",
      value: Number.isFinite(lag) ? `${lag.toFixed(1)} s` : 'not measured',
    },
    { scenario: s, measure: 'invoices awaiting payment (all of this merchant)', value: String(waiting) },
    {
      scenario: s,
      measure: `worker RSS, cache capped at ${o.maxCachedWorkflows} workflows`,
      value: Number.isFinite(rss) ? mib(rss) : 'not measured',
      goal: '≤ 3 GiB at 100 000',
    },
    { scenario: s, measure: 'PostgreSQL database size', value: mib(Number(size)) },
    {
      scenario: s,
      measure: 'Temporal dev server SQLite size',
      value: Number.isFinite(temporalBytes) ? mib(temporalBytes) : 'not measured',
    },
    {
      scenario: s,
      measure: `a sample paid among them: IPN to paid p50 / max (${latencies.length} of 20)`,
      value: `${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 100))}`,
    },
  );
}

/** The worker's resident memory: its own /metrics (process_resident_memory_bytes), else /proc. */
async function workerRss(ctx: BenchContext): Promise<number> {
  if (ctx.stack.workerMetricsUrl) {
    const text = await fetch(ctx.stack.workerMetricsUrl).then(
      (r) => r.text(),
      () => '',
    );
    const value = /^process_resident_memory_bytes (\d+)/m.exec(text)?.[1];
    if (value) return Number(value);
  }
  if (ctx.stack.pid === null) return NaN;
  const worker = (await processTree(ctx.stack.pid)).find((p) => p.name === 'worker');
  return worker?.rssBytes ?? NaN;
}

/** 5. `count` invoices expiring in the same minute: how long until all are expired, and IPN receipt meanwhile. */
export async function massExpiry(
  ctx: BenchContext,
  o: { count: number; creationRate: number; ipnRate: number; timeoutSeconds: number },
) {
  const { ids: pool, perSecond } = await invoicePool(ctx, 1000);
  // The deadline must come after the last invoice is made: plan on 80% of the rate just measured making the pool.
  const rate = Math.min(o.creationRate, perSecond * 0.8);
  const expireAt = Date.now() + Math.ceil((o.count / rate) * 1000) + 90_000;
  ctx.log(`mass expiry: creating ${o.count} invoices expiring at ${new Date(expireAt).toISOString()}…`);
  const created = await createInvoices(ctx, o.count, () => ({
    productId: ctx.merchant.productId,
    externalId: 'mass-expiry',
    expiresIn: Math.max(60, Math.ceil((expireAt - Date.now()) / 1000)),
  }));
  const spread = await ctx
    .db('invoices')
    .where({ merchant_id: ctx.merchant.merchantId, external_id: 'mass-expiry' })
    .select(ctx.db.raw('min(expires_at) as first, max(expires_at) as last'))
    .first<{ first: Date; last: Date }>();
  // Signed before the clock starts: making them blocks this process for seconds.
  const bodies = ipnBodies(ctx.merchant.secretKey, pool, o.ipnRate * o.timeoutSeconds);
  const wait = spread.first.getTime() - Date.now();
  ctx.log(
    `mass expiry: ${created.ok} created; they expire from ${spread.first.toISOString()} to ${spread.last.toISOString()}; waiting ${Math.round(wait / 1000)} s…`,
  );
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));

  let allExpiredAfter = NaN;
  const expiring = async () => {
    const left = await count(
      ctx
        .db('invoices')
        .where({ merchant_id: ctx.merchant.merchantId, external_id: 'mass-expiry', status: 'awaiting_payment' }),
    );
    return left;
  };
  // Counted in the database: a slow 201 the load generator gave up on still made its invoice.
  const total = await count(
    ctx.db('invoices').where({ merchant_id: ctx.merchant.merchantId, external_id: 'mass-expiry' }),
  );
  let left = total;
  const watch = (async () => {
    while ((left = await expiring()) > 0 && Date.now() - spread.first.getTime() < o.timeoutSeconds * 1000)
      await new Promise((r) => setTimeout(r, 1000));
    allExpiredAfter = (Date.now() - spread.last.getTime()) / 1000;
  })();
  const { result: ipn, cpu } = await profiled(ctx, () =>
    paced(
      o.ipnRate,
      o.timeoutSeconds,
      ipnSender(`${ctx.stack.apiUrl}/ipn/2checkout/${ctx.merchant.merchantId}`, bodies),
      () => !Number.isNaN(allExpiredAfter),
    ),
  );
  await watch;
  const s = `mass expiry (${o.count})`;
  ctx.figures.push(
    {
      scenario: s,
      measure: 'expiry times spread over',
      value: `${((spread.last.getTime() - spread.first.getTime()) / 1000).toFixed(0)} s`,
    },
    {
      scenario: s,
      measure: 'expired, and when, after the last expiry time',
      value: `${total - left} of ${total} after ${allExpiredAfter.toFixed(1)} s${left > 0 ? ' (gave up waiting)' : ''}`,
    },
    {
      scenario: s,
      measure: `IPN receipt meanwhile at ${o.ipnRate}/s — p50 / p99 (answered / sent)`,
      value: `${ms(ipn.p50)} / ${ms(ipn.p99)} (${ipn.ok}/${ipn.sent})`,
    },
    { scenario: s, measure: 'CPU by process meanwhile', value: cpu },
  );
  if (ctx.baseline) {
    // Under the same IPN load as ours: the invoices' workflows handle those IPNs meanwhile, on the same server.
    ctx.log(`mass expiry baseline: ${o.count} trivial workflows whose timers fire together, IPNs at ${o.ipnRate}/s…`);
    const baselineBodies = ipnBodies(ctx.merchant.secretKey, pool, o.ipnRate * o.timeoutSeconds);
    let trivialDone = false;
    let load: Promise<unknown> = Promise.resolve();
    const trivial = await ctx.baseline.expiry(o.count, Math.max(rate, 20), o.timeoutSeconds, () => {
      load = paced(
        o.ipnRate,
        o.timeoutSeconds,
        ipnSender(`${ctx.stack.apiUrl}/ipn/2checkout/${ctx.merchant.merchantId}`, baselineBodies),
        () => trivialDone,
      );
    });
    trivialDone = true;
    await load;
    ctx.figures.push(
      {
        scenario: s,
        measure: `baseline: trivial timer + one activity, IPNs at ${o.ipnRate}/s meanwhile, all done after`,
        value: `${trivial.done} of ${o.count} after ${trivial.seconds.toFixed(1)} s`,
      },
      {
        scenario: s,
        measure: 'ours ÷ baseline (drain rate)',
        value: left > 0 ? 'ours did not finish' : (trivial.seconds / Math.max(allExpiredAfter, 0.1)).toFixed(2),
        goal: '≥ 0.8',
      },
    );
  }
}

/**
 * 6. Soak: buyers pay at a steady `rate` for `minutes`, each through a new invoice. Per minute: creation latency and
 * every process's memory; at the end, how many of the invoices are paid.
 */
export async function soak(ctx: BenchContext, o: { minutes: number; rate: number }) {
  ctx.log(`soak: ${o.rate} payments/s for ${o.minutes} min…`);
  const s = `soak (${o.rate}/s, ${o.minutes} min)`;
  const ids: string[] = [];
  let failed = 0;
  for (let minute = 1; minute <= o.minutes; minute++) {
    const latencies: number[] = [];
    const payments = paced(o.rate, 60, async () => {
      try {
        const t0 = performance.now();
        const invoice = await post(ctx.stack.apiUrl, '/v1/invoices', ctx.merchant.apiKey, {
          productId: ctx.merchant.productId,
        });
        latencies.push(performance.now() - t0);
        ids.push(invoice.id as string);
        await payOnSandbox(ctx, invoice.checkoutUrl as string);
        return true;
      } catch {
        failed++;
        return false;
      }
    });
    await payments;
    const memory =
      ctx.stack.pid === null ? 'not measured (stack not started here)' : memoryByName(await processTree(ctx.stack.pid));
    const line = `creation p50 / p99 ${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 99))}; RSS ${memory}`;
    ctx.log(`soak minute ${minute}: ${line}`);
    ctx.figures.push({
      scenario: s,
      measure: `minute ${minute}`,
      value: line,
      ...(minute === 1 && { goal: 'creation p99 ≤ 300 ms' }),
    });
  }
  const paid = await ipnToPaid(ctx, ids);
  ctx.figures.push(
    {
      scenario: s,
      measure: 'paid / invoices made (failed requests)',
      value: `${paid.length} / ${ids.length} (${failed})`,
    },
    {
      scenario: s,
      measure: 'IPN to paid p50 / p99',
      value: `${ms(percentile(paid, 50))} / ${ms(percentile(paid, 99))}`,
    },
  );
}

/**
 * RSS per program, largest first; PostgreSQL's processes as their largest and how many there are (they share their
 * buffers, so a sum would count those many times).
 */
function memoryByName(processes: readonly ProcessTimes[]): string {
  const byName = new Map<string, { largest: number; count: number }>();
  for (const p of processes) {
    const seen = byName.get(p.name) ?? { largest: 0, count: 0 };
    byName.set(p.name, { largest: Math.max(seen.largest, p.rssBytes), count: seen.count + 1 });
  }
  return [...byName]
    .filter(([, m]) => m.largest > 20 * 1024 * 1024)
    .sort(([, a], [, b]) => b.largest - a.largest)
    .map(([name, m]) => `${name} ${mib(m.largest)}${m.count > 1 ? ` (largest of ${m.count})` : ''}`)
    .join(', ');
}
