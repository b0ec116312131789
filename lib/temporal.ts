import { ScheduleAlreadyRunning, type Client, Connection } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { SearchAttributeType } from '@temporalio/common';
import {
  encodeSearchAttributeIndexedValueType,
  type SearchAttributeKey as Key,
} from '@temporalio/common/lib/search-attributes';
import { JANITOR_SCHEDULE_ID, SEARCH_ATTRIBUTES } from '../workflows/shared';

type SearchAttributeKey = Key<SearchAttributeType>;

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
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((k) => [k.name, encodeSearchAttributeIndexedValueType(k.type)!]),
      ),
    });
  }
  return missing.map((k) => k.name);
}

/** Connects once the server answers, retrying for up to `timeoutMs` (a server that is still starting). */
export async function connectWhenReady(address: string, timeoutMs: number): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
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
