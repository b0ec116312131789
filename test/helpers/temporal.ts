import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { startService, type Service } from '../../lib/child-process';
import { connectWhenReady, devServerFlags } from '../../lib/temporal';
import { SEARCH_ATTRIBUTES, workflowIdOf } from '../../workflows/shared';
import type { Client } from '@temporalio/client';
import { eventually } from './eventually';
import { TEMPORAL_CLI } from './tools';

let installed = false;

/**
 * Worker logs at WARN and above, so test output shows failures rather than lifecycle chatter. One warning is left
 * out: the time-skipping test server does not advertise the capability to keep heartbeat details on failure, and
 * Core says so at every workflow start ("heartbeat details may be lost"), hundreds of times a run. Our activities
 * keep no heartbeat details, and the dev server and real clusters advertise it.
 */
export function installQuietRuntime(): void {
  if (installed) return;
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: {
      logging: {
        filter: `${makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' })},temporalio_sdk_core::worker=ERROR`,
      },
    },
  });
  installed = true;
}

/**
 * The real dev server from .tools, on a free port, with the project's search attributes. The SDK waits only 5 s for
 * it to answer; on a loaded 2-core machine with several suites starting servers at once that can be too short, so a
 * server that did not come up in time is started again (twice at most) rather than failing the suite.
 */
export async function startDevServer(): Promise<TestWorkflowEnvironment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'existing-path', path: TEMPORAL_CLI },
          searchAttributes: Object.values(SEARCH_ATTRIBUTES),
        },
      });
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

/** A Temporal dev server as a child process of the test, with its database file: stoppable by PID, restartable. */
export async function startTemporalProcess(dbFile: string, port: number): Promise<Service> {
  const service = await startService(
    'temporal',
    TEMPORAL_CLI,
    [
      'server',
      'start-dev',
      '--headless',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--db-filename',
      dbFile,
      '--log-level',
      'error',
      ...devServerFlags(),
    ],
    { log: () => {} },
  );
  await (await connectWhenReady(`127.0.0.1:${port}`, 60_000)).close();
  return service;
}

/**
 * The invoice's `InvoiceStatus` search attribute once it reads `status`. The workflow upserts it in the task after
 * its database write, so it follows the invoice row by a moment: wait for it rather than read it once.
 */
export function searchAttributeBecomes(client: Client, invoiceId: string, status: string): Promise<string> {
  return eventually(
    async () => {
      const described = await client.workflow.getHandle(workflowIdOf(invoiceId)).describe();
      const value = described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.invoiceStatus);
      return value === status ? value : undefined;
    },
    20_000,
    `InvoiceStatus of ${invoiceId} = ${status}`,
  );
}
