import { z } from 'zod';
import { fields, parseConfig, type Env } from '../lib/config';

const schema = z.object({
  SANDBOX_PORT: fields.port(3100),
  /** 1 follows 2Checkout's IPN retry schedule (two days); 0.001 compresses it for tests. */
  SANDBOX_RETRY_SCALE: fields.optional(z.coerce.number().positive().max(1)).default(1),
  /** How long PENDING and fraud-review orders wait before they settle, in milliseconds. */
  SANDBOX_SETTLE_DELAY_MS: fields.optional(z.coerce.number().int().min(0)).default(5000),
});

/** Configuration of the sandbox process. */
export function loadSandboxConfig(env: Env) {
  const c = parseConfig(schema, env);
  return Object.freeze({
    port: c.SANDBOX_PORT,
    retryScale: c.SANDBOX_RETRY_SCALE,
    settleDelayMs: c.SANDBOX_SETTLE_DELAY_MS,
  });
}
