import { DefaultLogger, Runtime } from '@temporalio/worker';

let installed = false;

/** Worker logs at WARN and above, so test output shows failures rather than lifecycle chatter. */
export function installQuietRuntime(): void {
  if (installed) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  installed = true;
}
