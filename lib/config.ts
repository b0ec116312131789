import { z } from 'zod';

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
  /** A 32-byte AES key, base64. */
  secretsKey: () =>
    z
      .string()
      .refine(
        (s) => Buffer.from(s, 'base64').length === 32,
        'must be 32 bytes, base64-encoded (openssl rand -base64 32)',
      ),
};
