/**
 * `npm run bench [-- scenario… --option value]`: starts the stack as `npm start` does (or uses a running one), drives it
 * over HTTP from this machine, and prints a table. Scenarios: create, paid, ipn, soak, waiting, expiry (default: all).
 * Figures come from this script; no test asserts a speed.
 */
import { parseArgs } from 'node:util';
import { createDb } from '../lib/db';
import { machine } from './bench/measure';
import {
  benchMerchant,
  invoiceCreation,
  ipnReceipt,
  ipnToPaidScenario,
  massExpiry,
  soak,
  waitingInvoices,
  type BenchContext,
  type Figure,
} from './bench/scenarios';
import { startBaseline, type Baseline } from './bench/baseline';
import { runningStack, startBenchStack } from './bench/stack';

const SCENARIOS = ['create', 'paid', 'ipn', 'soak', 'waiting', 'expiry'] as const;
type Scenario = (typeof SCENARIOS)[number];

const HELP = `npm run bench -- [scenario…] [options]

scenarios (default: all, in this order)
  create    POST /v1/invoices at a fixed concurrency          --seconds 60 --concurrency 8
  paid      IPN to paid, buyers paying on the sandbox         --payments 100
  ipn       IPN receipt, steady and burst, api vs node:http   --rate 50 --steady 60 --burst 500 --burst-for 10
  soak      buyers paying at a fixed rate, per-minute figures --soak-rate 4 --soak-minutes 15
  waiting   N invoices waiting: worker RSS, database sizes    --waiting 10000 --max-cached 1000
  expiry    N invoices expiring in the same minute            --expiring 10000 --expiry-timeout 1800 (s)

a running stack instead of starting one (all of --api-url, --admin-token, --database-url, --sandbox-url):
  --worker-metrics-url http://…/metrics  --temporal-db path/to/temporal.db
  --temporal-address host:port  (the trivial baseline's server: ours is reported as a ratio of it)
  --verbose   show the stack's own log lines`;

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      seconds: { type: 'string', default: '60' },
      concurrency: { type: 'string', default: '8' },
      rate: { type: 'string', default: '50' },
      steady: { type: 'string', default: '60' },
      burst: { type: 'string', default: '500' },
      'burst-for': { type: 'string', default: '10' },
      payments: { type: 'string', default: '100' },
      'soak-rate': { type: 'string', default: '4' },
      'soak-minutes': { type: 'string', default: '15' },
      waiting: { type: 'string', default: '10000' },
      'max-cached': { type: 'string', default: '1000' },
      expiring: { type: 'string', default: '10000' },
      'expiry-timeout': { type: 'string', default: '1800' },
      'api-url': { type: 'string' },
      'admin-token': { type: 'string' },
      'database-url': { type: 'string' },
      'sandbox-url': { type: 'string' },
      'worker-metrics-url': { type: 'string' },
      'temporal-db': { type: 'string' },
      'temporal-address': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void console.log(HELP);
  const unknown = positionals.filter((p) => !SCENARIOS.includes(p as Scenario));
  if (unknown.length) throw new Error(`Unknown scenario ${unknown.join(', ')}\n\n${HELP}`);
  const chosen = (positionals.length ? positionals : SCENARIOS) as readonly Scenario[];
  const n = (name: keyof typeof values) => {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
    return v;
  };
  const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

  const maxCachedWorkflows = n('max-cached');
  const running = values['api-url'];
  if (running && !(values['admin-token'] && values['database-url'] && values['sandbox-url']))
    throw new Error('--api-url needs --admin-token, --database-url and --sandbox-url');
  log(running ? `using the stack at ${running}` : 'starting the stack as npm start does (.data/bench)…');
  const stack = running
    ? runningStack({
        apiUrl: running,
        adminToken: values['admin-token']!,
        databaseUrl: values['database-url']!,
        sandboxUrl: values['sandbox-url']!,
        ...(values['worker-metrics-url'] && { workerMetricsUrl: values['worker-metrics-url'] }),
        ...(values['temporal-db'] && { temporalDb: values['temporal-db'] }),
        ...(values['temporal-address'] && { temporalAddress: values['temporal-address'] }),
      })
    : await startBenchStack({ maxCachedWorkflows, quiet: !values.verbose });
  const db = createDb(stack.databaseUrl);
  const figures: Figure[] = [];
  const started = new Date();
  let baseline: Baseline | undefined;
  try {
    baseline = stack.temporalAddress ? await startBaseline(stack.temporalAddress) : undefined;
    const ctx: BenchContext = {
      stack,
      db,
      merchant: await benchMerchant(stack),
      figures,
      log,
      ...(baseline && { baseline }),
    };
    let creationRate = 40;
    let shown = 0;
    for (const scenario of chosen) {
      if (scenario === 'create')
        creationRate = await invoiceCreation(ctx, { seconds: n('seconds'), concurrency: n('concurrency') });
      if (scenario === 'ipn')
        await ipnReceipt(ctx, {
          rate: n('rate'),
          seconds: n('steady'),
          burstRate: n('burst'),
          burstSeconds: n('burst-for'),
        });
      if (scenario === 'paid') await ipnToPaidScenario(ctx, { payments: n('payments'), concurrency: 4 });
      if (scenario === 'soak') await soak(ctx, { rate: n('soak-rate'), minutes: n('soak-minutes') });
      if (scenario === 'waiting') await waitingInvoices(ctx, { count: n('waiting'), maxCachedWorkflows });
      if (scenario === 'expiry')
        await massExpiry(ctx, {
          count: n('expiring'),
          creationRate: Math.max(creationRate, 10),
          ipnRate: n('rate'),
          timeoutSeconds: n('expiry-timeout'),
        });
      // Each scenario's rows as soon as it ends: a long run interrupted still leaves its figures.
      for (const f of figures.slice(shown)) log(`${f.scenario} | ${f.measure} | ${f.value}`);
      shown = figures.length;
    }
  } finally {
    await baseline?.stop();
    await db.destroy();
    await stack.stop();
  }
  console.log(
    report(
      figures,
      started,
      running ? `a running stack at ${running}` : 'npm start (embedded PostgreSQL, Temporal dev server on SQLite)',
    ),
  );
}

/** The results as a Markdown table, with the machine and the stack they come from (BENCHMARKS.md keeps the latest). */
function report(figures: readonly Figure[], started: Date, stack: string): string {
  const rows = figures.map((f) => `| ${f.scenario} | ${f.measure} | ${f.value} | ${f.goal ?? ''} |`);
  return [
    `Run ${started.toISOString()} on ${machine()}; stack: ${stack}.`,
    '',
    '| scenario | measure | result | goal |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
