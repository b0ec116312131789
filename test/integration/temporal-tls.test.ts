import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { msToTs } from '@temporalio/common/lib/time';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startService, type Service } from '../../lib/child-process';
import { TEMPORAL_SECURITY_VARIABLES } from '../../lib/config';
import { createTestDatabase } from '../helpers/db';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/ports';
import { startDevServer } from '../helpers/temporal';
import { startTemporalTlsProxy } from '../helpers/temporal-tls-proxy';
import { ROOT } from '../helpers/tools';

const TLS = path.join(ROOT, 'test/fixtures/tls');

/**
 * The api and worker processes, started as in production, against a Temporal that speaks TLS like a managed cluster:
 * the real dev server behind a TLS endpoint that records what each call carried on the wire.
 */
describe('the api and worker on a Temporal cluster reached over TLS', () => {
  jest.setTimeout(180_000);
  let temporal: TestWorkflowEnvironment;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const started: Service[] = [];
  const closers: (() => void)[] = [];

  beforeAll(async () => {
    temporal = await startDevServer();
    database = await createTestDatabase();
    await database.db.migrate.latest();
  });
  afterAll(async () => {
    for (const service of started) await service.stop();
    for (const close of closers) close();
    await database?.drop();
    await temporal?.teardown();
  });

  /** One of our processes, with the shell's own Temporal settings cleared so that only the test's apply. */
  async function startProcess(name: string, entry: string, env: Record<string, string>) {
    const output: string[] = [];
    const service = await startService(name, process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
      env: {
        ...process.env,
        ...Object.fromEntries(TEMPORAL_SECURITY_VARIABLES.map((v) => [v, ''])),
        DATABASE_URL: database.url,
        SECRETS_KEY: randomBytes(32).toString('base64'),
        LOG_LEVEL: 'warn',
        ...env,
      },
      log: (line) => output.push(line),
    });
    started.push(service);
    const died = service.exited.then(({ code }) => {
      throw new Error(`${name} exited (code ${code}):\n${output.join('\n')}`);
    });
    died.catch(() => {}); // observed only while waiting
    /** Waits for `probe`, failing at once with the process's output if it dies meanwhile. */
    const waitFor = <T>(probe: () => Promise<T | undefined> | T | undefined, what: string) =>
      Promise.race([eventually(probe, 120_000, what), died]);
    return { service, output, waitFor };
  }

  it('When the worker runs with mTLS, a private CA, a server name and an API key, then both its connections present the certificate and the key on every call', async () => {
    const proxy = await startTemporalTlsProxy(temporal.address, { requireClientCertificate: true });
    closers.push(proxy.close);
    const worker = await startProcess('worker', 'worker/index.ts', {
      TEMPORAL_ADDRESS: proxy.address,
      TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(TLS, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(TLS, 'client-key.pem'),
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(TLS, 'ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
      TEMPORAL_API_KEY: 'worker-api-key',
      PUBLIC_URL: 'http://127.0.0.1:9',
      WORKER_METRICS_PORT: '0',
    });

    // the client connection checks the search attributes; the worker's native connection polls the task queue
    await worker.waitFor(
      () =>
        ['ListSearchAttributes', 'PollWorkflowTaskQueue'].every((m) => proxy.calls.some((c) => c.method === m))
          ? true
          : undefined,
      'the worker to check its search attributes and poll, through the TLS endpoint',
    );
    expect(new Set(proxy.calls.map((c) => `${c.authorization} / certificate ${c.clientCertificate}`))).toEqual(
      new Set(['Bearer worker-api-key / certificate payments-worker']),
    );
  });

  it('When its credentials may not add search attributes (a Cloud API key without admin rights), then the worker stops, naming the attributes to create', async () => {
    // a namespace without the project's search attributes, as a new Temporal Cloud namespace is
    await temporal.connection.workflowService.registerNamespace({
      namespace: 'bare',
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    await eventually(() => temporal.connection.operatorService.listSearchAttributes({ namespace: 'bare' }));
    const proxy = await startTemporalTlsProxy(temporal.address, {
      requireClientCertificate: false,
      refuse: ['AddSearchAttributes'],
    });
    closers.push(proxy.close);
    const worker = await startProcess('worker', 'worker/index.ts', {
      TEMPORAL_ADDRESS: proxy.address,
      TEMPORAL_NAMESPACE: 'bare',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(TLS, 'ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
      TEMPORAL_API_KEY: 'developer-api-key',
      PUBLIC_URL: 'http://127.0.0.1:9',
      WORKER_METRICS_PORT: '0',
    });

    expect(await worker.service.exited).toEqual({ code: 1, signal: null });
    expect(worker.output.join('\n')).toContain(
      'Could not register the search attributes InvoiceId (Keyword), MerchantId (Keyword), InvoiceStatus (Keyword), TwoCheckoutRefNo (Keyword), InvoiceLate (Bool), InvoiceStatusChangedAt (Datetime) in namespace bare: 7 PERMISSION_DENIED: Request unauthorized.. Create them (temporal operator search-attribute create, or tcld namespace search-attributes add on Temporal Cloud).',
    );
  });

  it('When the api runs with an API key and no client certificate, then it reaches Temporal over TLS with the key, and /readyz says Temporal answers', async () => {
    const proxy = await startTemporalTlsProxy(temporal.address, { requireClientCertificate: false });
    closers.push(proxy.close);
    const port = await freePort();
    const api = await startProcess('api', 'api/server.ts', {
      TEMPORAL_ADDRESS: proxy.address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(TLS, 'ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
      TEMPORAL_API_KEY: 'api-api-key',
      PORT: String(port),
      ADMIN_TOKEN: 'admin-token-for-tests-0123456789',
      TWOCHECKOUT_SANDBOX_URL: 'http://127.0.0.1:9',
    });

    const ready = await api.waitFor(async () => {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      return response.status === 200 ? await response.json() : undefined;
    }, 'the api to be ready');
    expect(ready).toEqual({ status: 'ok', checks: { database: 'ok', temporal: 'ok' } });
    expect(proxy.calls.map((c) => c.method)).toContain('GetSystemInfo');
    expect(new Set(proxy.calls.map((c) => `${c.authorization} / certificate ${c.clientCertificate}`))).toEqual(
      new Set(['Bearer api-api-key / certificate undefined']),
    );
  });
});
