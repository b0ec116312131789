import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { TEMPORAL_SECURITY_VARIABLES } from '../../lib/config';
import { ensureSearchAttributes } from '../../lib/temporal';
import { SEARCH_ATTRIBUTES } from '../../workflows/shared';
import { installQuietRuntime } from '../helpers/temporal';
import { ROOT, TEMPORAL_CLI } from '../helpers/tools';

const SCRIPT = path.join(ROOT, 'deploy/temporal/setup-namespace.sh');

/**
 * deploy/temporal/setup-namespace.sh, which docker-compose.yml runs in temporalio/admin-tools before the api and the
 * workers start, run here with the same `temporal` CLI against a real server that has none of the project's settings.
 */
describe('the namespace set-up script of the production stack', () => {
  jest.setTimeout(120_000);
  let temporal: TestWorkflowEnvironment;

  beforeAll(async () => {
    installQuietRuntime();
    // no --search-attribute flags: a server as docker-compose.yml's is before the script runs
    temporal = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: TEMPORAL_CLI } },
    });
  });
  afterAll(async () => {
    await temporal?.teardown();
  });

  const runScript = () =>
    promisify(execFile)('sh', [SCRIPT], {
      env: {
        // the CLI reads these too, and takes an empty TEMPORAL_TLS for a bad value: leave them out
        ...Object.fromEntries(
          Object.entries(process.env).filter(([name]) => !(TEMPORAL_SECURITY_VARIABLES as string[]).includes(name)),
        ),
        PATH: `${path.dirname(TEMPORAL_CLI)}:${process.env.PATH}`,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: 'payments',
      },
    });

  it('When it runs on a fresh server, then the namespace exists with 30 days of retention and the search attributes the workflows upsert; run again, it changes nothing', async () => {
    const { connection } = temporal;
    const expected = Object.fromEntries(
      Object.values(SEARCH_ATTRIBUTES).map((k) => [k.name, encodeSearchAttributeIndexedValueType(k.type)]),
    );

    await runScript();
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'payments' });
    expect(customAttributes).toEqual(expected);
    const { config } = await connection.workflowService.describeNamespace({ namespace: 'payments' });
    expect(Number(config?.workflowExecutionRetentionTtl?.seconds)).toBe(30 * 86400);

    const again = await runScript();
    expect(again.stdout).not.toMatch(/registered|added/i);
    expect((await connection.operatorService.listSearchAttributes({ namespace: 'payments' })).customAttributes).toEqual(
      expected,
    );
    // the worker, starting next, finds nothing to add
    expect(await ensureSearchAttributes(connection, 'payments')).toEqual([]);
  });
});
