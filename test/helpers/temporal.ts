import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../../workflows/shared';
import { TEMPORAL_CLI } from './tools';

let installed = false;

/** Worker logs at WARN and above, so test output shows failures rather than lifecycle chatter. */
export function installQuietRuntime(): void {
  if (installed) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
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
          extraArgs: ['--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true'],
        },
      });
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}
