import { z } from 'zod';
import { fields, parseConfig, type Env } from '../lib/config';

const schema = z.object({
  DATABASE_URL: fields.postgresUrl(),
  TEMPORAL_ADDRESS: fields.optional(fields.hostPort()).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: fields.optional(z.string().min(1)).default('default'),
  SECRETS_KEY: fields.secretsKey(),
  /** Public base URL of the api: the buyer's return page after 2Checkout. */
  PUBLIC_URL: z.string().url(),
  /** Base URL of the local 2Checkout sandbox, for merchants whose environment is `sandbox`. */
  TWOCHECKOUT_SANDBOX_URL: fields.optional(z.string().url()).default('http://127.0.0.1:3100'),
  /** How often the invoice-janitor schedule runs (when the worker creates it). */
  JANITOR_EVERY: fields.optional(z.string().regex(/^\d+(ms|s|m|h)$/, 'a duration such as 10m')).default('10m'),
});

export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;

/** Configuration of the worker process. */
export function loadWorkerConfig(env: Env) {
  const c = parseConfig(schema, env);
  return Object.freeze({
    databaseUrl: c.DATABASE_URL,
    temporalAddress: c.TEMPORAL_ADDRESS,
    temporalNamespace: c.TEMPORAL_NAMESPACE,
    secretsKey: c.SECRETS_KEY,
    publicUrl: c.PUBLIC_URL.replace(/\/+$/, ''),
    sandboxUrl: c.TWOCHECKOUT_SANDBOX_URL.replace(/\/+$/, ''),
    janitorEvery: c.JANITOR_EVERY,
  });
}
