import { readFileSync } from 'node:fs';
import { ScheduleAlreadyRunning, type Client, Connection } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import type { SearchAttributeType } from '@temporalio/common';
import {
  encodeSearchAttributeIndexedValueType,
  type SearchAttributeKey as Key,
} from '@temporalio/common/lib/search-attributes';
import { JANITOR_SCHEDULE_ID, SEARCH_ATTRIBUTES } from '../workflows/shared';
import type { TemporalConnectionConfig } from './config';

type SearchAttributeKey = Key<SearchAttributeType>;

/** What both `Connection.connect` (@temporalio/client) and `NativeConnection.connect` (@temporalio/worker) take. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

/**
 * The SDK's connection options from a process's config: plaintext, TLS, mTLS (the client certificate pair), a private
 * CA and server name, and a Temporal Cloud API key (over TLS, as `Authorization: Bearer …`). Reads the PEM files now,
 * so a rotated certificate is picked up on restart.
 */
export function temporalConnectionOptions(config: TemporalConnectionConfig): TemporalConnectionOptions {
  const { address, tls, apiKey } = config;
  if (!tls && apiKey === undefined) return { address };
  return {
    address,
    tls: {
      ...(tls?.clientCertPair && {
        clientCertPair: {
          crt: readFileSync(tls.clientCertPair.certPath),
          key: readFileSync(tls.clientCertPair.keyPath),
        },
      }),
      ...(tls?.serverCaCertPath !== undefined && { serverRootCACertificate: readFileSync(tls.serverCaCertPath) }),
      ...(tls?.serverName !== undefined && { serverNameOverride: tls.serverName }),
    },
    ...(apiKey !== undefined && { apiKey }),
  };
}

/**
 * What `temporal server start-dev` runs with here: SQLite in WAL mode with `synchronous=normal` (every event of every
 * workflow is a write through the dev server's one connection: WAL nearly doubles its throughput, and a commit
 * survives a crash of the server, though not of the machine), and the project's search attributes.
 */
export function devServerFlags(): string[] {
  return ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal', ...searchAttributeFlags()];
}

/** The project's custom search attributes, as `temporal server start-dev --search-attribute` takes them. */
export function searchAttributeFlags(keys: readonly SearchAttributeKey[] = Object.values(SEARCH_ATTRIBUTES)): string[] {
  return keys.flatMap((k) => ['--search-attribute', `${k.name}=${cliType(k)}`]);
}

function cliType(key: SearchAttributeKey): string {
  // 'KEYWORD' → 'Keyword', 'KEYWORD_LIST' → 'KeywordList', as the CLI spells them
  return key.type
    .toLowerCase()
    .split('_')
    .map((w: string) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/**
 * Registers the project's search attributes in `namespace` unless they exist (a real cluster, a restarted dev
 * server). Upserting an unregistered attribute fails a workflow task, so the worker calls this at start-up.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: readonly SearchAttributeKey[] = Object.values(SEARCH_ATTRIBUTES),
): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = keys.filter((k) => !(k.name in customAttributes));
  if (missing.length > 0) {
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(
          missing.map((k) => [k.name, encodeSearchAttributeIndexedValueType(k.type)!]),
        ),
      });
    } catch (err) {
      // Refused: if another replica added them meanwhile (older servers answer AlreadyExists), all is well; otherwise
      // (credentials that may not change the namespace, as on Temporal Cloud) say what ops must create.
      const { customAttributes: now } = await connection.operatorService.listSearchAttributes({ namespace });
      const stillMissing = missing.filter((k) => !(k.name in now));
      if (stillMissing.length === 0) return [];
      throw new Error(
        `Could not register the search attributes ${stillMissing.map((k) => `${k.name} (${cliType(k)})`).join(', ')} ` +
          `in namespace ${namespace}: ${err instanceof Error ? err.message : String(err)}. Create them ` +
          `(temporal operator search-attribute create, or tcld namespace search-attributes add on Temporal Cloud).`,
        { cause: err },
      );
    }
  }
  return missing.map((k) => k.name);
}

/** Connects once the server answers, retrying for up to `timeoutMs` (a server that is still starting). */
export async function connectWhenReady(
  target: string | TemporalConnectionOptions,
  timeoutMs: number,
): Promise<Connection> {
  const options = typeof target === 'string' ? { address: target } : target;
  const { address } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ ...options, connectTimeout: 2_000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`Temporal at ${address} did not answer within ${timeoutMs} ms`, { cause: err });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * The `invoice-janitor` schedule: every `every`, `janitorWorkflow` nudges invoices stuck in processing or past their
 * expiry. Created once; an existing schedule is left as ops may have tuned it in the UI.
 */
export async function ensureJanitorSchedule(client: Client, taskQueue: string, every: string): Promise<boolean> {
  try {
    await client.schedule.create({
      scheduleId: JANITOR_SCHEDULE_ID,
      spec: { intervals: [{ every: every as Duration }] },
      action: { type: 'startWorkflow', workflowType: 'janitorWorkflow', taskQueue, args: [{}] },
      policies: { overlap: 'SKIP' },
    });
    return true;
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return false;
    throw err;
  }
}
