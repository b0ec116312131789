import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import type { SecretBox } from '../lib/secret-box';
import type { WorkerMetrics } from '../lib/worker-metrics';
import type { WebhookPolicy } from '../workflows/shared';

/** What activities are built from: injected by the worker, replaced by tests. */
export interface ActivityDeps {
  readonly db: Knex;
  readonly secretBox: SecretBox;
  /** Base URL of the local 2Checkout sandbox, for merchants in the `sandbox` environment. */
  readonly sandboxUrl: string;
  /** Whether payments may be verified against the sandbox at all (SANDBOX_ENABLED); never in production. */
  readonly sandboxEnabled: boolean;
  /** Public base URL of the api: the buyer's return page. */
  readonly publicUrl: string;
  readonly fetch: typeof fetch;
  readonly clock: () => Date;
  /**
   * Whether webhooks may go to loopback and private addresses (a developer's machine, the tests); otherwise public
   * unicast addresses only (lib/outbound.ts).
   */
  readonly allowPrivateWebhookTargets?: boolean;
  /** How webhook deliveries are retried (DEFAULT_WEBHOOK_POLICY unless configured). */
  readonly webhookPolicy?: WebhookPolicy;
  /** Prometheus counters and histograms of the worker process; none in tests that do not look. */
  readonly metrics?: WorkerMetrics;
  /** For the janitor, which nudges invoice workflows. */
  readonly temporal?: Client;
}
