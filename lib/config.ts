import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { LOG_LEVELS } from './logger';
import { keyringOf } from './secret-box';

/** Configuration problems, every one of them, so an operator fixes them all in one go. */
export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses a process's environment with its schema, once, at start-up. Each process has one `loadConfig(env)` built
 * on this; nothing else reads `process.env`.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: Env): Readonly<z.output<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
    );
  }
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Reusable field schemas. Empty strings count as unset, as shells and compose files often pass them. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

export const fields = {
  optional,
  port: (fallback: number) => optional(z.coerce.number().int().min(1).max(65535)).default(fallback),
  postgresUrl: () =>
    z
      .string()
      .url()
      .refine((u) => /^postgres(ql)?:\/\//.test(u), 'must be a postgres:// URL'),
  /** `host:port` of a Temporal frontend. */
  hostPort: () => z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port'),
  /** pino's level names: `fatal`, `error`, `warn`, `info` (the default), `debug`, `trace`, `silent`. */
  logLevel: () => optional(z.enum(LOG_LEVELS)).default('info'),
  /** A TCP port, or 0 to turn the listener off. */
  portOrOff: (fallback: number) => optional(z.coerce.number().int().min(0).max(65535)).default(fallback),
  /** A 32-byte AES key, base64. */
  secretsKey: () =>
    z
      .string()
      .refine(
        (s) => Buffer.from(s, 'base64').length === 32,
        'must be 32 bytes, base64-encoded (openssl rand -base64 32)',
      ),
  /** `true` or `false`. */
  flag: (fallback: boolean) => optional(z.enum(['true', 'false']).transform((v) => v === 'true')).default(fallback),
};

/**
 * The keyring sealing merchants' secrets at rest (lib/secret-box.ts), spread into the api's and the worker's schemas
 * and checked by `checkSecretsFields`: SECRETS_KEY, SECRETS_KEYS, or both while rotating.
 */
export const secretsFields = {
  /** One AES-256 key, base64: the key `default` of the ring (it seals unless SECRETS_KEYS is set). */
  SECRETS_KEY: optional(fields.secretsKey()),
  /** `id:base64key,…`: the first key seals, every key opens; SECRETS_KEY, if also set, opens too. */
  SECRETS_KEYS: optional(z.string()),
};

/** At least one key, every key 32 bytes, ids unique. */
export function checkSecretsFields(
  c: { SECRETS_KEY?: string | undefined; SECRETS_KEYS?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (c.SECRETS_KEY === undefined && c.SECRETS_KEYS === undefined) {
    ctx.addIssue({ code: 'custom', path: ['SECRETS_KEY'], message: 'required (or SECRETS_KEYS)' });
    return;
  }
  try {
    keyringOf(c.SECRETS_KEYS, c.SECRETS_KEY);
  } catch (err) {
    ctx.addIssue({ code: 'custom', path: ['SECRETS_KEYS'], message: (err as Error).message });
  }
}

/**
 * A PEM file readable now, so that a wrong path or file fails at start-up under its variable's name rather than at
 * the first connection with a TLS library's message.
 */
const pemFile = (what: 'certificate' | 'private key') =>
  z.string().superRefine((file, ctx) => {
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      });
      return;
    }
    try {
      if (what === 'certificate') new X509Certificate(pem);
      else createPrivateKey(pem);
    } catch {
      ctx.addIssue({ code: 'custom', message: `${file} is not a PEM ${what}` });
    }
  });

/**
 * How a process reaches Temporal: the api and the worker take these (spread into their schemas, checked together by
 * `checkTemporalFields`). The names are those Temporal's CLI and SDKs read, so one environment also configures
 * `temporal` commands (deploy/temporal/setup-namespace.sh) against the same cluster.
 */
export const temporalFields = {
  /** `host:port` of the frontend; Temporal Cloud: `<namespace>.<account>.tmprl.cloud:7233` or a regional endpoint. */
  TEMPORAL_ADDRESS: optional(fields.hostPort()).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: optional(z.string().min(1)).default('default'),
  /** Temporal Cloud API key, sent as `Authorization: Bearer …`; implies TLS. */
  TEMPORAL_API_KEY: optional(z.string()),
  /** TLS without a client certificate (a server certificate from a public CA); implied by the settings below. */
  TEMPORAL_TLS: optional(z.enum(['true', 'false']).transform((v) => v === 'true')),
  /** mTLS: the client certificate and its private key, PEM files; both or neither. */
  TEMPORAL_TLS_CLIENT_CERT_PATH: optional(pemFile('certificate')),
  TEMPORAL_TLS_CLIENT_KEY_PATH: optional(pemFile('private key')),
  /** The CA that signed the server's certificate, when the system's trust store does not know it (self-hosted). */
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: optional(pemFile('certificate')),
  /** The name the server's certificate is checked against, when it differs from TEMPORAL_ADDRESS's host. */
  TEMPORAL_TLS_SERVER_NAME: optional(z.string()),
};

type TemporalSettings = z.output<z.ZodObject<typeof temporalFields>>;
type TemporalSecuritySettings = Omit<TemporalSettings, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'>;

/** The TLS and API key variables: `npm start` blanks them for the plaintext dev server it runs. */
export const TEMPORAL_SECURITY_VARIABLES = Object.keys(temporalFields).filter(
  (name) => name !== 'TEMPORAL_ADDRESS' && name !== 'TEMPORAL_NAMESPACE',
) as (keyof TemporalSecuritySettings)[];

/** Where and how a process connects to Temporal; lib/temporal.ts `temporalConnectionOptions` makes SDK options of it. */
export interface TemporalConnectionConfig {
  readonly address: string;
  /** Unset: plaintext, as a local or in-cluster server speaks. */
  readonly tls?: {
    readonly clientCertPair?: { readonly certPath: string; readonly keyPath: string };
    readonly serverCaCertPath?: string;
    readonly serverName?: string;
  };
  readonly apiKey?: string;
}

/** The Temporal settings that only work together; each loader parses with `schema.superRefine(checkTemporalFields)`. */
export function checkTemporalFields(c: TemporalSecuritySettings, ctx: z.RefinementCtx): void {
  const cert = c.TEMPORAL_TLS_CLIENT_CERT_PATH;
  const key = c.TEMPORAL_TLS_CLIENT_KEY_PATH;
  if ((cert === undefined) !== (key === undefined)) {
    const [missing, given] =
      cert === undefined
        ? ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH']
        : ['TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_CERT_PATH'];
    ctx.addIssue({
      code: 'custom',
      path: [missing],
      message: `required with ${given}: mTLS needs the client certificate and its private key`,
    });
  } else if (cert !== undefined && key !== undefined && keyMatches(cert, key) === false) {
    ctx.addIssue({
      code: 'custom',
      path: ['TEMPORAL_TLS_CLIENT_KEY_PATH'],
      message: `${key} is not the private key of the certificate in TEMPORAL_TLS_CLIENT_CERT_PATH (${cert})`,
    });
  }
  if (c.TEMPORAL_TLS === false) {
    const needTls = TEMPORAL_SECURITY_VARIABLES.filter((name) => name !== 'TEMPORAL_TLS' && c[name] !== undefined);
    if (needTls.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['TEMPORAL_TLS'],
        message: `is false, but ${needTls.join(', ')} ${needTls.length > 1 ? 'need' : 'needs'} TLS (an API key is never sent in clear)`,
      });
    }
  }
}

/** Whether the key belongs to the certificate; undefined when a file is unreadable (reported under its variable). */
function keyMatches(certFile: string, keyFile: string): boolean | undefined {
  try {
    return new X509Certificate(readFileSync(certFile)).checkPrivateKey(createPrivateKey(readFileSync(keyFile)));
  } catch {
    return undefined;
  }
}

/** The connection settings of a parsed schema that spread `temporalFields`. */
export function temporalConnectionConfig(
  c: TemporalSecuritySettings & Pick<TemporalSettings, 'TEMPORAL_ADDRESS'>,
): TemporalConnectionConfig {
  const tls =
    c.TEMPORAL_TLS ?? TEMPORAL_SECURITY_VARIABLES.some((name) => name !== 'TEMPORAL_TLS' && c[name] !== undefined);
  return {
    address: c.TEMPORAL_ADDRESS,
    ...(tls && {
      tls: {
        ...(c.TEMPORAL_TLS_CLIENT_CERT_PATH !== undefined &&
          c.TEMPORAL_TLS_CLIENT_KEY_PATH !== undefined && {
            clientCertPair: { certPath: c.TEMPORAL_TLS_CLIENT_CERT_PATH, keyPath: c.TEMPORAL_TLS_CLIENT_KEY_PATH },
          }),
        ...(c.TEMPORAL_TLS_SERVER_CA_CERT_PATH !== undefined && {
          serverCaCertPath: c.TEMPORAL_TLS_SERVER_CA_CERT_PATH,
        }),
        ...(c.TEMPORAL_TLS_SERVER_NAME !== undefined && { serverName: c.TEMPORAL_TLS_SERVER_NAME }),
      },
    }),
    ...(c.TEMPORAL_API_KEY !== undefined && { apiKey: c.TEMPORAL_API_KEY }),
  };
}
