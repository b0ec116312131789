import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import type { SecretBox } from '../lib/secret-box';
import type { ApiConfig } from './config';

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
    | 'gracePeriodMs'
    | 'ipnBodyLimit'
    | 'temporalNamespace'
    | 'sandboxUrl'
    | 'sessionSecret'
  >;
  readonly fetch: typeof fetch;
  readonly clock: () => Date;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
}
