import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createApp } from '../../api/app';
import type { ApiConfig } from '../../api/config';
import type { ApiDeps } from '../../api/deps';
import { startIpnRelay } from '../../api/ipn';
import { logFunction, type Logger } from '../../lib/logger';
import { createSecretBox } from '../../lib/secret-box';
import { createWorkerMetrics } from '../../lib/worker-metrics';
import { createWorker } from '../../worker/worker';
import type { WebhookPolicy } from '../../workflows/shared';
import { createTestDatabase } from './db';
import { UNREACHED_RATE_LIMITS } from './limits';
import { signedIpnBody } from './ipn';
import { installQuietRuntime, startDevServer } from './temporal';
import { standInOrder, startTwoCheckoutStandIn } from './twocheckout-stand-in';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

/**
 * The service wired as in production, in this process: a fresh database, the real Temporal dev server, the real
 * worker and activities, the api on a real port, and a stand-in for 2Checkout's REST API on another.
 */
export async function startStack(
  opts: {
    apiClock?: () => Date;
    sandboxUrl?: string;
    /** Another PostgreSQL server than the suite's shared one (a test that stops it). */
    postgresUrl?: string;
    /** An already running Temporal (a test that stops it) instead of a dev server of its own. */
    temporalAddress?: string;
    /** How the in-process worker retries webhooks (tests: seconds, not minutes). */
    webhookPolicy?: WebhookPolicy;
    /** false: no worker in this process (a test runs worker processes of its own). */
    inProcessWorker?: boolean;
    /** The api logs through it as api/server.ts does (request lines included), besides `logs`. */
    logger?: Logger;
    /** Rate limits a test wants to reach; the others are never reached. */
    rateLimits?: Partial<ApiConfig['rateLimits']>;
    /** TRUST_PROXY: `loopback` lets a test speak for many clients with X-Forwarded-For. */
    trustProxy?: ApiConfig['trustProxy'];
    ipnBodyLimit?: number;
    /** SANDBOX_ENABLED of the api and the worker: on, as with `npm start`, unless a test turns it off. */
    sandboxEnabled?: boolean;
    /** WEBHOOK_ALLOW_PRIVATE_TARGETS of the worker: on, as with `npm start` (receivers on 127.0.0.1), unless turned off. */
    allowPrivateWebhookTargets?: boolean;
  } = {},
) {
  installQuietRuntime();
  const database = await createTestDatabase(opts.postgresUrl ? () => opts.postgresUrl! : undefined);
  await database.db.migrate.latest();
  const env = opts.temporalAddress
    ? await TestWorkflowEnvironment.createFromExistingServer({ address: opts.temporalAddress })
    : await startDevServer();
  const secretsKey = randomBytes(32).toString('base64');
  const secretBox = createSecretBox(secretsKey);
  const merchants = new Map<string, string>();
  const twoCheckout = await startTwoCheckoutStandIn(merchants);

  const logs: { message: string; fields?: Record<string, unknown> }[] = [];
  const deps: ApiDeps = {
    db: database.db,
    temporal: env.client,
    secretBox,
    config: {
      publicUrl: 'http://placeholder',
      adminToken: ADMIN_TOKEN,
      invoiceExpiresInSeconds: 86400,
      ipnBodyLimit: opts.ipnBodyLimit ?? 64 * 1024,
      temporalNamespace: 'default',
      // where `sandbox` merchants' 2Checkout is: its buy links, and the REST API the worker asks
      sandboxUrl: opts.sandboxUrl ?? twoCheckout.url,
      sandboxEnabled: opts.sandboxEnabled ?? true,
      sessionSecret: randomBytes(32).toString('hex'),
      rateLimits: { ...UNREACHED_RATE_LIMITS, ...opts.rateLimits },
      trustProxy: opts.trustProxy ?? false,
      rejectedIpnRetentionMs: 30 * 86400_000,
    },
    fetch: globalThis.fetch,
    clock: opts.apiClock ?? (() => new Date()),
    log: (message, fields) => {
      logs.push({ message, fields });
      if (opts.logger) logFunction(opts.logger)(message, fields);
    },
    ...(opts.logger && { logger: opts.logger }),
  };
  const server = createApp(deps).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  (deps.config as { publicUrl: string }).publicUrl = apiUrl;
  const relay = startIpnRelay(deps, 500);

  const workerMetrics = createWorkerMetrics({ processMetrics: false });
  const worker: Worker | undefined =
    opts.inProcessWorker === false
      ? undefined
      : await createWorker({
          connection: env.nativeConnection,
          namespace: 'default',
          deps: {
            db: database.db,
            secretBox,
            sandboxUrl: opts.sandboxUrl ?? twoCheckout.url,
            sandboxEnabled: opts.sandboxEnabled ?? true,
            allowPrivateWebhookTargets: opts.allowPrivateWebhookTargets ?? true,
            publicUrl: apiUrl,
            fetch: globalThis.fetch,
            clock: () => new Date(),
            temporal: env.client,
            metrics: workerMetrics,
            ...(opts.webhookPolicy && { webhookPolicy: opts.webhookPolicy }),
          },
        });
  const running = worker?.run();

  async function call(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(opts.token && { Authorization: `Bearer ${opts.token}` }),
        ...(opts.body !== undefined && { 'Content-Type': 'application/json' }),
        ...opts.headers,
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await response.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, json, text, headers: response.headers };
  }

  /** A `sandbox` merchant taking test orders, known to the 2Checkout stand-in, with a 50.00 RUB product. */
  async function newMerchant(code: string, secretKey: string) {
    const merchant = await call('POST', '/v1/merchants', {
      token: ADMIN_TOKEN,
      body: {
        name: 'Shop',
        twocheckout: {
          merchantCode: code,
          secretKey,
          buyLinkSecretWord: 'w',
          environment: 'sandbox',
          testOrders: true,
        },
      },
    });
    merchants.set(code, secretKey);
    const apiKey = merchant.json.apiKey as string;
    const product = await call('POST', '/v1/products', {
      token: apiKey,
      body: { name: 'P', price: '50.00', currency: 'RUB' },
    });
    return { apiKey, merchantId: merchant.json.id as string, productId: product.json.id as string };
  }

  /** An invoice of that product, a COMPLETE order for it at 2Checkout (the stand-in), and the IPN 2Checkout would send. */
  async function paidAtTwoCheckout(m: { apiKey: string; productId: string; secretKey: string }, refNo: string) {
    const { json: created } = await call('POST', '/v1/invoices', { token: m.apiKey, body: { productId: m.productId } });
    twoCheckout.orders.set(refNo, standInOrder(refNo, created.id));
    const body = signedIpnBody(m.secretKey, {
      refNo,
      invoiceId: created.id,
      orderStatus: 'COMPLETE',
      total: '50.00',
      currency: 'RUB',
    });
    return { id: created.id as string, refNo, body };
  }

  return {
    apiUrl,
    newMerchant,
    paidAtTwoCheckout,
    postIpn: (merchantId: string, body: string) =>
      fetch(`${apiUrl}/ipn/2checkout/${merchantId}`, { method: 'POST', body }),
    statusOf: async (apiKey: string, invoiceId: string) =>
      (await call('GET', `/v1/invoices/${invoiceId}`, { token: apiKey })).json.status as string,
    /** What a worker process of the test's own needs to join this stack. */
    workerEnv: (temporalAddress: string): NodeJS.ProcessEnv => ({
      ...process.env,
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: temporalAddress,
      SECRETS_KEY: secretsKey,
      PUBLIC_URL: apiUrl,
      TWOCHECKOUT_SANDBOX_URL: opts.sandboxUrl ?? twoCheckout.url,
      SANDBOX_ENABLED: String(opts.sandboxEnabled ?? true),
      WEBHOOK_ALLOW_PRIVATE_TARGETS: String(opts.allowPrivateWebhookTargets ?? true),
      // Several worker processes on one machine: none claims the default metrics port.
      WORKER_METRICS_PORT: '0',
    }),
    /** The api's dependencies, for tests that take one away (a database or Temporal outage) and give it back. */
    deps: deps as { -readonly [K in keyof ApiDeps]: ApiDeps[K] },
    db: database.db,
    env,
    twoCheckout,
    merchants,
    secretBox,
    logs,
    /** The in-process worker's metrics (its activities record into them). */
    workerMetrics,
    call,
    async close() {
      await relay.stop();
      await new Promise((resolve) => server.close(resolve));
      worker?.shutdown();
      await running;
      await env.teardown();
      await twoCheckout.close();
      await database.drop();
    },
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;
