import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { percentile } from './measure';

const TASK_QUEUE = 'bench-trivial';

/**
 * A worker and a client for the trivial workflow (trivial-workflow.ts) on the stack's own Temporal server: what any
 * workflow costs there, so that ours is reported as a ratio of it (absolute figures drift on shared machines).
 */
export async function startBaseline(temporalAddress: string) {
  Runtime.install({ logger: new DefaultLogger('WARN') }); // the bench's own lines only
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection });
  let touched = 0;
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowsPath: require.resolve('./trivial-workflow'),
    activities: { touch: () => Promise.resolve(void touched++) },
  });
  const running = worker.run();
  const start = (deadlineMs: number) =>
    client.workflow.start('trivialInvoice', {
      taskQueue: TASK_QUEUE,
      workflowId: `trivial-${randomUUID()}`,
      args: [deadlineMs],
    });

  return {
    /**
     * Plain starts, `concurrency` at a time for `seconds`: starts per second and latency percentiles (ms); then it
     * waits until the last one's first task has run (`behind`, seconds), so no backlog of its own weighs on what
     * the bench measures next.
     */
    async creation(seconds: number, concurrency: number) {
      const latencies: number[] = [];
      const until = Date.now() + seconds * 1000;
      const far = Date.now() + 365 * 86_400_000;
      let last = '';
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (Date.now() < until) {
            const t = performance.now();
            last = (await start(far)).workflowId;
            latencies.push(performance.now() - t);
          }
        }),
      );
      const behind = await this.firstTaskAfter(last, 600);
      return {
        perSecond: latencies.length / seconds,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        behind,
      };
    },
    /**
     * `count` workflows whose timers fire at the same moment, each then one activity: seconds until all are done.
     * `atDeadline` starts what should run meanwhile.
     */
    async expiry(count: number, startRate: number, timeoutSeconds: number, atDeadline: () => void = () => {}) {
      const deadline = Date.now() + Math.ceil((count / startRate) * 1000) + 30_000;
      const before = touched;
      for (let i = 0; i < count; i += 50)
        await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => start(deadline)));
      await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())));
      atDeadline();
      while (touched - before < count && Date.now() - deadline < timeoutSeconds * 1000)
        await new Promise((r) => setTimeout(r, 250));
      return { done: touched - before, seconds: (Date.now() - deadline) / 1000 };
    },
    /**
     * `signals` signals spread over `workflows` inboxes, `concurrency` sent at a time by signal-with-start, each then
     * one activity: signals handled per second, from the first sent to the last handled.
     */
    async catchUp(workflows: number, signals: number, concurrency = 32, timeoutSeconds = 1800) {
      const ids = Array.from({ length: workflows }, () => `trivial-inbox-${randomUUID()}`);
      const before = touched;
      const started = Date.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < signals) {
            const n = next++;
            await client.workflow.signalWithStart('trivialInbox', {
              taskQueue: TASK_QUEUE,
              workflowId: ids[n % workflows]!,
              signal: 'event',
              signalArgs: [n],
            });
          }
        }),
      );
      while (touched - before < signals && Date.now() - started < timeoutSeconds * 1000)
        await new Promise((r) => setTimeout(r, 250));
      const seconds = (Date.now() - started) / 1000;
      await Promise.all(
        ids.map((id) =>
          client.workflow
            .getHandle(id)
            .terminate('benchmark done')
            .catch(() => {}),
        ),
      );
      return { done: touched - before, seconds, perSecond: (touched - before) / seconds };
    },
    /**
     * Seconds until the workflow `workflowId` has run its first task (its history holds a timer), from now: how far
     * the workers are behind the starts.
     */
    async firstTaskAfter(workflowId: string, timeoutSeconds: number): Promise<number> {
      const since = Date.now();
      const handle = client.workflow.getHandle(workflowId);
      while (Date.now() - since < timeoutSeconds * 1000) {
        const events = (await handle.fetchHistory()).events ?? [];
        if (events.some((e) => e.timerStartedEventAttributes)) return (Date.now() - since) / 1000;
        await new Promise((r) => setTimeout(r, 500));
      }
      return Number.POSITIVE_INFINITY;
    },
    async stop() {
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
    },
  };
}

export type Baseline = Awaited<ReturnType<typeof startBaseline>>;
