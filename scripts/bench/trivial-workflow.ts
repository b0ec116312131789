/**
 * The baseline the benchmark measures ours against, on the same Temporal server in the same run: a workflow of the
 * least shape an invoice could have (started plainly, one timer, one activity). Bundled by the bench's own worker.
 */
import { condition, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

const { touch } = proxyActivities<{ touch(): Promise<void> }>({ startToCloseTimeout: '30s' });

/** Waits until `deadlineMs`, then runs one activity: an invoice that expires, at its least. */
export async function trivialInvoice(deadlineMs: number): Promise<void> {
  await sleep(Math.max(deadlineMs - Date.now(), 1));
  await touch();
}

export const eventSignal = defineSignal<[number]>('event');

/** Runs one activity per signal, in order: an invoice handling stored IPNs, at its least. */
export async function trivialInbox(): Promise<void> {
  const events: number[] = [];
  setHandler(eventSignal, (n) => void events.push(n));
  for (;;) {
    await condition(() => events.length > 0);
    events.shift();
    await touch();
  }
}
