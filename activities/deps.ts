import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import type { SecretBox } from '../lib/secret-box';

/** What activities are built from: injected by the worker, replaced by tests. */
export interface ActivityDeps {
  readonly db: Knex;
  readonly secretBox: SecretBox;
  /** Base URL of the local 2Checkout sandbox, for merchants in the `sandbox` environment. */
  readonly sandboxUrl: string;
  /** Public base URL of the api: the buyer's return page. */
  readonly publicUrl: string;
  readonly fetch: typeof fetch;
  readonly clock: () => Date;
  /** For the janitor, which nudges invoice workflows. */
  readonly temporal?: Client;
}
