import { z } from 'zod';
import { fields, parseConfig, type Env } from '../lib/config';
import { serverClock } from './server-clock';

/** The sandbox's variables; test/unit/docker-compose.test.ts checks docker-compose.yml against them. */
export const schema = z.object({
  SANDBOX_PORT: fields.port(3100),
  /** The interface it listens on: this machine only by default; 0.0.0.0 in a container (docker-compose.yml). */
  SANDBOX_HOST: fields.optional(z.string().min(1)).default('127.0.0.1'),
  /** 1 follows 2Checkout's IPN retry schedule (two days); 0.001 compresses it for tests. */
  SANDBOX_RETRY_SCALE: fields.optional(z.coerce.number().positive().max(1)).default(1),
  /** How long an order waits at each step (authorized → complete, PENDING, fraud review), in milliseconds. */
  SANDBOX_SETTLE_DELAY_MS: fields.optional(z.coerce.number().int().min(0)).default(5000),
  /** Where merchants, orders and IPNs are kept across restarts (`npm start`: DATA_DIR/sandbox.json); unset: memory. */
  SANDBOX_STATE_FILE: fields.optional(z.string().min(1)),
  /** The zone 2Checkout writes its dates in (IPN SALEDATE, IPN_DATE, TIMEZONE_OFFSET; REST OrderDate). */
  SANDBOX_TIMEZONE: fields
    .optional(
      z.string().refine(
        (zone) => {
          try {
            serverClock(zone);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'not an IANA time zone (e.g. Europe/Bucharest, UTC)' },
      ),
    )
    .default('Europe/Bucharest'),
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
    stateFile: c.SANDBOX_STATE_FILE,
    timeZone: c.SANDBOX_TIMEZONE,
    logLevel: c.LOG_LEVEL,
  });
}
