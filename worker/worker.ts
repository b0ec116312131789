import { getHeapStatistics } from 'node:v8';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { TASK_QUEUE } from '../workflows/shared';

/**
 * Workflows kept in memory between their tasks: an invoice run's state is small, but each cached run holds a share
 * of the worker's V8 isolate; 1,000 cached runs measured about 0.8 GiB of RSS (BENCHMARKS.md). So a quarter of the
 * heap limit at 1 MiB a run, between 100 and 5,000. A run that is not cached is replayed from its history: with a
 * few dozen events per invoice run, that costs little.
 */
export function defaultMaxCachedWorkflows(heapLimitBytes = getHeapStatistics().heap_size_limit): number {
  return Math.max(100, Math.min(5_000, Math.floor(heapLimitBytes / 4 / (1 << 20))));
}

/** A worker for the invoice workflow with activities built from `deps` (the process, or a test). */
export function createWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  deps: ActivityDeps;
  taskQueue?: string;
  maxCachedWorkflows?: number;
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    activities: createActivities(opts.deps),
    maxCachedWorkflows: opts.maxCachedWorkflows ?? defaultMaxCachedWorkflows(),
    // Workflow tasks are short (one timer, one activity per event), and every invoice's first task comes through the
    // shared queue, as fast as the API creates invoices (about 100/s here). Measured after 30 s of creation at 16
    // clients, the last invoice's first task ran: with 1 shared poller (4 pollers, the SDK's ratio) a backlog of
    // 50,000 tasks grew; with 5 of 10, 7 s after the load stopped; with 12 of 16, 20 s (more polls load the server).
    maxConcurrentWorkflowTaskPolls: 10,
    nonStickyToStickyPollRatio: 0.5,
    maxConcurrentActivityTaskPolls: 4,
    // When a burst of timers fires (mass expiry), a task waiting longer than this for this worker's sticky queue
    // moves to the shared queue and is replayed elsewhere: 30 s rather than 10 s rides out a burst on one worker;
    // after a worker dies, its runs move on within 30 s.
    stickyQueueScheduleToStartTimeout: '30s',
  });
}
