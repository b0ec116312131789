import { createHmac } from 'node:crypto';
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

/** A rate limit: requests allowed per window, at least 1. */
const perWindow = (fallback: number) => fields.optional(z.coerce.number().int().min(1)).default(fallback);

/** The api's variables; test/unit/docker-compose.test.ts checks docker-compose.yml against them. */
export const schema = z.object({
  PORT: fields.port(3000),
  /** Base URL the world reaches this api on: IPN URLs, order links and the buyer's return page are built from it. */
  PUBLIC_URL: fields.optional(z.string().url()),
  DATABASE_URL: fields.postgresUrl(),
  ...temporalFields,
  /** Bearer token of the admin endpoints (creating merchants). */
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  /** The keys sealing merchants' 2Checkout and webhook secrets at rest. */
  ...secretsFields,
  /** Default lifetime of an invoice, in seconds (24 h). */
  INVOICE_EXPIRES_IN: fields
    .optional(
      z.coerce
        .number()
        .int()
        .min(60)
        .max(90 * 86400),
    )
    .default(86400),
  /** Largest IPN body accepted, in bytes. */
  IPN_BODY_LIMIT: fields.optional(z.coerce.number().int().min(1024)).default(256 * 1024),
  /** How often stored IPNs not yet delivered to their workflow are retried, in milliseconds. */
  IPN_RELAY_INTERVAL_MS: fields.optional(z.coerce.number().int().min(100)).default(5000),
  /** Days a rejected IPN attempt (bad signature, malformed; kept as a hash and its first 4 KiB) stays in the IPN log. */
  REJECTED_IPN_RETENTION_DAYS: fields.optional(z.coerce.number().int().min(1)).default(30),
  /**
   * Rate limits, counted by each api process on its own (several replicas allow as many times more). Order links
   * (each GET makes an invoice and a workflow): per client IP and per product, per minute.
   */
  RATE_LIMIT_ORDER_LINK_PER_CLIENT: perWindow(20),
  RATE_LIMIT_ORDER_LINK_PER_PRODUCT: perWindow(300),
  /** Failed dashboard sign-ins per client IP in 15 minutes. */
  RATE_LIMIT_DASHBOARD_LOGIN: perWindow(10),
  /** Requests to /v1 answered 401 (a wrong API key or admin token) per client IP in 15 minutes. */
  RATE_LIMIT_BAD_API_KEY: perWindow(100),
  /** IPN POSTs per merchant id per minute: far above 2Checkout's real traffic and its retries. */
  RATE_LIMIT_IPN_PER_MERCHANT: perWindow(1200),
  /**
   * Express's `trust proxy`: which proxies' X-Forwarded-For names the client (per-client limits count by it). Unset:
   * none, the peer is the client. Behind a load balancer: the number of hops (`1`) or its addresses.
   */
  TRUST_PROXY: fields.optional(
    z
      .string()
      .min(1)
      .refine((v) => v !== 'true', 'must be a hop count or addresses, not true'),
  ),
  /** The local 2Checkout sandbox: `sandbox` merchants are registered there. */
  TWOCHECKOUT_SANDBOX_URL: fields.optional(z.string().url()).default('http://127.0.0.1:3100'),
  /**
   * Whether `sandbox` merchants may exist here (`npm start` and the tests: yes). Off, a merchant cannot be created in
   * or switched to the sandbox, and the worker verifies no payment against it.
   */
  SANDBOX_ENABLED: fields.flag(false),
  /** The least severe log level written (JSON lines on stdout). */
  LOG_LEVEL: fields.logLevel(),
});

export type ApiConfig = ReturnType<typeof loadApiConfig>;

/** Configuration of the api process. */
export function loadApiConfig(env: Env) {
  const c = parseConfig(schema.superRefine(checkTemporalFields).superRefine(checkSecretsFields), env);
  const secretsKeyring = keyringOf(c.SECRETS_KEYS, c.SECRETS_KEY);
  return Object.freeze({
    port: c.PORT,
    publicUrl: (c.PUBLIC_URL ?? `http://127.0.0.1:${c.PORT}`).replace(/\/+$/, ''),
    databaseUrl: c.DATABASE_URL,
    temporalAddress: c.TEMPORAL_ADDRESS,
    temporalNamespace: c.TEMPORAL_NAMESPACE,
    /** Address, TLS and API key: lib/temporal.ts temporalConnectionOptions makes the SDK's options of them. */
    temporalConnection: temporalConnectionConfig(c),
    adminToken: c.ADMIN_TOKEN,
    secretsKeyring,
    invoiceExpiresInSeconds: c.INVOICE_EXPIRES_IN,
    ipnBodyLimit: c.IPN_BODY_LIMIT,
    ipnRelayIntervalMs: c.IPN_RELAY_INTERVAL_MS,
    rejectedIpnRetentionMs: c.REJECTED_IPN_RETENTION_DAYS * 86400_000,
    rateLimits: {
      orderLinkPerClient: c.RATE_LIMIT_ORDER_LINK_PER_CLIENT,
      orderLinkPerProduct: c.RATE_LIMIT_ORDER_LINK_PER_PRODUCT,
      dashboardLogin: c.RATE_LIMIT_DASHBOARD_LOGIN,
      badApiKey: c.RATE_LIMIT_BAD_API_KEY,
      ipnPerMerchant: c.RATE_LIMIT_IPN_PER_MERCHANT,
    },
    trustProxy: trustProxy(c.TRUST_PROXY),
    sandboxUrl: c.TWOCHECKOUT_SANDBOX_URL.replace(/\/+$/, ''),
    sandboxEnabled: c.SANDBOX_ENABLED,
    logLevel: c.LOG_LEVEL,
    /** Signs dashboard session cookies; derived from the sealing key so sessions survive restarts. */
    sessionSecret: createHmac('sha256', Buffer.from(secretsKeyring[0]!.key, 'base64'))
      .update('dashboard-session')
      .digest('hex'),
  });
}

/**
 * TRUST_PROXY as Express takes it: a hop count, or addresses and subnets separated by commas. Never `true` (every
 * X-Forwarded-For believed), which would let any client choose the address it is counted under.
 */
function trustProxy(value: string | undefined): false | number | string {
  if (value === undefined || value === 'false') return false;
  return /^\d+$/.test(value) ? Number(value) : value;
}
