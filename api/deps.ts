import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import type { Logger } from '../lib/logger';
import type { SecretBox } from '../lib/secret-box';
import type { ApiConfig } from './config';
import type { ApiMetrics } from './metrics';

/** What the api is built from; tests pass their own. */
export interface ApiDeps {
  readonly db: Knex;
  readonly temporal: Client;
  readonly secretBox: SecretBox;
  readonly config: Pick<
    ApiConfig,
    | 'publicUrl'
    | 'adminToken'
    | 'invoiceExpiresInSeconds'
    | 'ipnBodyLimit'
    | 'temporalNamespace'
    | 'sandboxUrl'
    | 'sandboxEnabled'
    | 'sessionSecret'
    | 'rateLimits'
    | 'trustProxy'
    | 'rejectedIpnRetentionMs'
  >;
  readonly fetch: typeof fetch;
  readonly clock: () => Date;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
  /** Request lines (pino-http); none when absent. `log` above is the same logger's in api/server.ts. */
  readonly logger?: Logger;
  /** The Prometheus registry served at /metrics; createApp makes one when absent. */
  readonly metrics?: ApiMetrics;
}
