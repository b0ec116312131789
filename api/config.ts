import { createHmac } from 'node:crypto';
import { z } from 'zod';
import {
  checkTemporalFields,
  fields,
  parseConfig,
  temporalConnectionConfig,
  temporalFields,
  type Env,
} from '../lib/config';

/** The api's variables; test/unit/docker-compose.test.ts checks docker-compose.yml against them. */
export const schema = z.object({
  PORT: fields.port(3000),
  /** Base URL the world reaches this api on: IPN URLs, order links and the buyer's return page are built from it. */
  PUBLIC_URL: fields.optional(z.string().url()),
  DATABASE_URL: fields.postgresUrl(),
  ...temporalFields,
  /** Bearer token of the admin endpoints (creating merchants). */
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  /** AES-256 key sealing merchants' 2Checkout secrets at rest. */
  SECRETS_KEY: fields.secretsKey(),
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
  /** The local 2Checkout sandbox: `sandbox` merchants are registered there. */
  TWOCHECKOUT_SANDBOX_URL: fields.optional(z.string().url()).default('http://127.0.0.1:3100'),
  /** The least severe log level written (JSON lines on stdout). */
  LOG_LEVEL: fields.logLevel(),
});

export type ApiConfig = ReturnType<typeof loadApiConfig>;

/** Configuration of the api process. */
export function loadApiConfig(env: Env) {
  const c = parseConfig(schema.superRefine(checkTemporalFields), env);
  return Object.freeze({
    port: c.PORT,
    publicUrl: (c.PUBLIC_URL ?? `http://127.0.0.1:${c.PORT}`).replace(/\/+$/, ''),
    databaseUrl: c.DATABASE_URL,
    temporalAddress: c.TEMPORAL_ADDRESS,
    temporalNamespace: c.TEMPORAL_NAMESPACE,
    /** Address, TLS and API key: lib/temporal.ts temporalConnectionOptions makes the SDK's options of them. */
    temporalConnection: temporalConnectionConfig(c),
    adminToken: c.ADMIN_TOKEN,
    secretsKey: c.SECRETS_KEY,
    invoiceExpiresInSeconds: c.INVOICE_EXPIRES_IN,
    ipnBodyLimit: c.IPN_BODY_LIMIT,
    ipnRelayIntervalMs: c.IPN_RELAY_INTERVAL_MS,
    sandboxUrl: c.TWOCHECKOUT_SANDBOX_URL.replace(/\/+$/, ''),
    logLevel: c.LOG_LEVEL,
    /** Signs dashboard session cookies; derived from SECRETS_KEY so sessions survive restarts. */
    sessionSecret: createHmac('sha256', Buffer.from(c.SECRETS_KEY, 'base64')).update('dashboard-session').digest('hex'),
  });
}
