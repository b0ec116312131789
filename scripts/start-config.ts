import path from 'node:path';
import { z } from 'zod';
import {
  checkTemporalFields,
  fields,
  parseConfig,
  temporalConnectionConfig,
  temporalFields,
  type Env,
} from '../lib/config';

const ROOT = path.resolve(__dirname, '..');

const schema = z.object({
  /** Any PostgreSQL; unset: an embedded server with its data in DATA_DIR/postgres. */
  DATABASE_URL: fields.optional(fields.postgresUrl()),
  /** Port of the embedded PostgreSQL (only when DATABASE_URL is unset); not 5432, to leave a system server alone. */
  EMBEDDED_POSTGRES_PORT: fields.port(54329),
  ...temporalFields,
  /** Any Temporal frontend (with its TLS and API key settings); unset: `temporal server start-dev` in DATA_DIR. */
  TEMPORAL_ADDRESS: fields.optional(fields.hostPort()),
  /** Ports of the dev server (only when TEMPORAL_ADDRESS is unset). */
  TEMPORAL_PORT: fields.port(7233),
  TEMPORAL_UI_PORT: fields.port(8233),
  TEMPORAL_CLI_PATH: fields.optional(z.string().min(1)).default(path.join(ROOT, '.tools/venv/bin/temporal')),
  /** Where the embedded services keep their data between runs (and the generated dev secrets). */
  DATA_DIR: fields.optional(z.string().min(1)).default(path.join(ROOT, '.data')),
  /** Port of the api. */
  PORT: fields.port(3000),
  PUBLIC_URL: fields.optional(z.string().url()),
  /** Unset: generated once and kept in DATA_DIR/dev-secrets.json. */
  ADMIN_TOKEN: fields.optional(z.string().min(16)),
  SECRETS_KEY: fields.optional(fields.secretsKey()),
  /** Unset: the 2Checkout sandbox runs here, on SANDBOX_PORT. */
  TWOCHECKOUT_SANDBOX_URL: fields.optional(z.string().url()),
  SANDBOX_PORT: fields.port(3100),
  /** Webhooks to 127.0.0.1 and private networks, as a developer's receiver listens (production: off). */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: fields.flag(true),
  /** Port of the worker's Prometheus /metrics; 0 turns it off. */
  WORKER_METRICS_PORT: fields.portOrOff(9464),
});

export type StartConfig = ReturnType<typeof loadStartConfig>;

/** Configuration of `npm start`, which runs the whole system with embedded defaults. */
export function loadStartConfig(env: Env) {
  const c = parseConfig(schema.superRefine(checkTemporalFields), env);
  return Object.freeze({
    databaseUrl: c.DATABASE_URL,
    embeddedPostgresPort: c.EMBEDDED_POSTGRES_PORT,
    temporalAddress: c.TEMPORAL_ADDRESS,
    temporalNamespace: c.TEMPORAL_NAMESPACE,
    /** How to reach TEMPORAL_ADDRESS (TLS, API key); unset with the dev server. */
    temporalConnection:
      c.TEMPORAL_ADDRESS === undefined
        ? undefined
        : temporalConnectionConfig({ ...c, TEMPORAL_ADDRESS: c.TEMPORAL_ADDRESS }),
    temporalPort: c.TEMPORAL_PORT,
    temporalUiPort: c.TEMPORAL_UI_PORT,
    temporalCliPath: c.TEMPORAL_CLI_PATH,
    dataDir: path.resolve(c.DATA_DIR),
    apiPort: c.PORT,
    publicUrl: (c.PUBLIC_URL ?? `http://127.0.0.1:${c.PORT}`).replace(/\/+$/, ''),
    adminToken: c.ADMIN_TOKEN,
    secretsKey: c.SECRETS_KEY,
    sandboxUrl: (c.TWOCHECKOUT_SANDBOX_URL ?? `http://127.0.0.1:${c.SANDBOX_PORT}`).replace(/\/+$/, ''),
    runSandbox: c.TWOCHECKOUT_SANDBOX_URL === undefined,
    sandboxPort: c.SANDBOX_PORT,
    workerMetricsPort: c.WORKER_METRICS_PORT,
    allowPrivateWebhookTargets: c.WEBHOOK_ALLOW_PRIVATE_TARGETS,
  });
}
