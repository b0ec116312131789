import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import knex from 'knex';
import { createApp } from '../../api/app';
import type { ApiDeps } from '../../api/deps';
import { createApiMetrics } from '../../api/metrics';
import { createSecretBox } from '../../lib/secret-box';
import { UNREACHED_RATE_LIMITS } from './limits';

/**
 * The api with a database and a Temporal that are never reached (both connect lazily, at a closed port): for the
 * parts that need neither, such as the route table, /openapi.json and /docs.
 */
export function offlineApp() {
  const db = knex({ client: 'pg', connection: 'postgres://nobody@127.0.0.1:9/none' });
  const deps: ApiDeps = {
    db,
    temporal: new Client({ connection: Connection.lazy({ address: '127.0.0.1:9' }) }),
    secretBox: createSecretBox(randomBytes(32).toString('base64')),
    config: {
      publicUrl: 'http://127.0.0.1:9',
      adminToken: 'admin-token-for-tests-0123456789',
      invoiceExpiresInSeconds: 86400,
      ipnBodyLimit: 64 * 1024,
      temporalNamespace: 'default',
      sandboxUrl: 'http://127.0.0.1:9',
      sandboxEnabled: true,
      sessionSecret: randomBytes(32).toString('hex'),
      rateLimits: UNREACHED_RATE_LIMITS,
      trustProxy: false,
      rejectedIpnRetentionMs: 30 * 86400_000,
    },
    fetch: globalThis.fetch,
    clock: () => new Date(),
    log: () => {},
    metrics: createApiMetrics({ db: () => db, processMetrics: false }),
  };
  return { app: createApp(deps), deps, close: () => db.destroy() };
}

/** offlineApp on a free port; `publicUrl` is where it listens. */
export async function startOfflineApi() {
  const { app, deps, close } = offlineApp();
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  (deps.config as { publicUrl: string }).publicUrl = url;
  return {
    url,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await close();
    },
  };
}
