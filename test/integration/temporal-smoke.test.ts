import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../../workflows/shared';
import { smokeWorkflow } from '../fixtures/workflows/smoke';
import { installQuietRuntime } from '../helpers/temporal';
import { TEMPORAL_CLI, TEMPORAL_TEST_SERVER } from '../helpers/tools';

const workflowsPath = require.resolve('../fixtures/workflows/smoke');
const activities = { greet: (name: string) => Promise.resolve(`hello, ${name}`) };

beforeAll(installQuietRuntime);

describe('Temporal from the binaries scripts/setup.mjs installed', () => {
  it('When the dev server runs a workflow through a real worker, then it completes and its search attribute is set', async () => {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: TEMPORAL_CLI },
        searchAttributes: Object.values(SEARCH_ATTRIBUTES),
      },
    });
    try {
      const taskQueue = `smoke-${randomUUID()}`;
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities });
      const handle = await env.client.workflow.start(smokeWorkflow, {
        taskQueue,
        workflowId: `smoke-${randomUUID()}`,
        args: ['2Checkout'],
      });
      const result = await worker.runUntil(handle.result());
      expect(result).toBe('hello, 2Checkout');
      const described = await handle.describe();
      expect(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.invoiceStatus)).toBe('paid');
    } finally {
      await env.teardown();
    }
  });

  it('When the time-skipping server runs a workflow with a 24 h timer, then it completes without waiting a day', async () => {
    const env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: TEMPORAL_TEST_SERVER } },
    });
    try {
      await env.connection.operatorService.addSearchAttributes({
        namespace: 'default',
        searchAttributes: { InvoiceStatus: 2 /* KEYWORD */ },
      });
      const taskQueue = `smoke-${randomUUID()}`;
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities });
      const startedAt = await env.currentTimeMs();
      const result = await worker.runUntil(
        env.client.workflow.execute(smokeWorkflow, {
          taskQueue,
          workflowId: `smoke-${randomUUID()}`,
          args: ['timer', 24 * 3600 * 1000],
        }),
      );
      expect(result).toBe('hello, timer');
      expect((await env.currentTimeMs()) - startedAt).toBeGreaterThanOrEqual(24 * 3600 * 1000);
    } finally {
      await env.teardown();
    }
  });
});
