import { z } from 'zod';
import {
  checkSecretsFields,
  checkTemporalFields,
  fields,
  parseConfig,
  secretsFields,
  temporalConnectionConfig,
  temporalFields,
  type Env,
} from '../lib/config';
import { keyringOf } from '../lib/secret-box';

/** The worker's variables; test/unit/docker-compose.test.ts checks docker-compose.yml against them. */
export const schema = z.object({
  DATABASE_URL: fields.postgresUrl(),
  ...temporalFields,
  /** The keys sealing merchants' 2Checkout and webhook secrets at rest. */
  ...secretsFields,
  /** Public base URL of the api: the buyer's return page after 2Checkout. */
  PUBLIC_URL: z.string().url(),
  /** Base URL of the local 2Checkout sandbox, for merchants whose environment is `sandbox`. */
  TWOCHECKOUT_SANDBOX_URL: fields.optional(z.string().url()).default('http://127.0.0.1:3100'),
  /** Whether payments may be verified against the sandbox (api/config.ts SANDBOX_ENABLED); off in production. */
  SANDBOX_ENABLED: fields.flag(false),
  /**
   * Whether webhooks may go to loopback and private addresses: for a developer's machine (npm start turns it on);
   * off, only public unicast addresses are reached, checked as each connection opens (lib/outbound.ts).
   */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: fields.flag(false),
  /** How often the invoice-janitor schedule runs (when the worker creates it). */
  JANITOR_EVERY: fields.optional(z.string().regex(/^\d+(ms|s|m|h)$/, 'a duration such as 10m')).default('10m'),
  /** Wait before a failed webhook is tried again, in seconds; each later wait doubles, up to an hour. */
  WEBHOOK_FIRST_RETRY: fields.optional(z.coerce.number().int().min(1)).default(30),
  /** How long a webhook is retried before it is left to a resend, in seconds (3 days). */
  WEBHOOK_RETRY_FOR: fields.optional(z.coerce.number().int().min(1)).default(3 * 86400),
  /** Workflows kept in memory between tasks (unset: the SDK's default, from the heap size); caps the worker's RSS. */
  WORKER_MAX_CACHED_WORKFLOWS: fields.optional(z.coerce.number().int().min(0)),
  /** The least severe log level written (JSON lines on stdout). */
  LOG_LEVEL: fields.logLevel(),
  /** Port of the worker's Prometheus `/metrics` (9464, the usual exporter port); 0 turns it off. */
  WORKER_METRICS_PORT: fields.portOrOff(9464),
});

export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;

/** Configuration of the worker process. */
export function loadWorkerConfig(env: Env) {
  const c = parseConfig(schema.superRefine(checkTemporalFields).superRefine(checkSecretsFields), env);
  return Object.freeze({
    databaseUrl: c.DATABASE_URL,
    temporalAddress: c.TEMPORAL_ADDRESS,
    temporalNamespace: c.TEMPORAL_NAMESPACE,
    /** Address, TLS and API key: lib/temporal.ts temporalConnectionOptions makes the SDK's options of them. */
    temporalConnection: temporalConnectionConfig(c),
    secretsKeyring: keyringOf(c.SECRETS_KEYS, c.SECRETS_KEY),
    publicUrl: c.PUBLIC_URL.replace(/\/+$/, ''),
    sandboxUrl: c.TWOCHECKOUT_SANDBOX_URL.replace(/\/+$/, ''),
    sandboxEnabled: c.SANDBOX_ENABLED,
    janitorEvery: c.JANITOR_EVERY,
    logLevel: c.LOG_LEVEL,
    metricsPort: c.WORKER_METRICS_PORT,
    maxCachedWorkflows: c.WORKER_MAX_CACHED_WORKFLOWS,
    allowPrivateWebhookTargets: c.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    webhookPolicy: { firstRetryMs: c.WEBHOOK_FIRST_RETRY * 1000, retryForMs: c.WEBHOOK_RETRY_FOR * 1000 },
  });
}
