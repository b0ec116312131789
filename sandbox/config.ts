import { z } from 'zod';
import { fields, parseConfig, type Env } from '../lib/config';

/** The sandbox's variables; test/unit/docker-compose.test.ts checks docker-compose.yml against them. */
export const schema = z.object({
  SANDBOX_PORT: fields.port(3100),
  /** The interface it listens on: this machine only by default; 0.0.0.0 in a container (docker-compose.yml). */
  SANDBOX_HOST: fields.optional(z.string().min(1)).default('127.0.0.1'),
  /** 1 follows 2Checkout's IPN retry schedule (two days); 0.001 compresses it for tests. */
  SANDBOX_RETRY_SCALE: fields.optional(z.coerce.number().positive().max(1)).default(1),
  /** How long PENDING and fraud-review orders wait before they settle, in milliseconds. */
  SANDBOX_SETTLE_DELAY_MS: fields.optional(z.coerce.number().int().min(0)).default(5000),
  LOG_LEVEL: fields.logLevel(),
});

/** Configuration of the sandbox process. */
export function loadSandboxConfig(env: Env) {
  const c = parseConfig(schema, env);
  return Object.freeze({
    port: c.SANDBOX_PORT,
    host: c.SANDBOX_HOST,
    retryScale: c.SANDBOX_RETRY_SCALE,
    settleDelayMs: c.SANDBOX_SETTLE_DELAY_MS,
    logLevel: c.LOG_LEVEL,
  });
}
