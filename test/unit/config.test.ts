import path from 'node:path';
import { ConfigError } from '../../lib/config';
import { loadStartConfig } from '../../scripts/start-config';

describe('configuration', () => {
  it('When nothing is set, then npm start runs with embedded defaults', () => {
    const config = loadStartConfig({});
    expect(config).toEqual({
      databaseUrl: undefined,
      embeddedPostgresPort: 54329,
      temporalAddress: undefined,
      temporalNamespace: 'default',
      temporalPort: 7233,
      temporalUiPort: 8233,
      temporalCliPath: path.resolve(__dirname, '../../.tools/venv/bin/temporal'),
      dataDir: path.resolve(__dirname, '../../.data'),
      apiPort: 3000,
      publicUrl: 'http://127.0.0.1:3000',
      adminToken: undefined,
      secretsKey: undefined,
      sandboxUrl: 'http://127.0.0.1:3100',
      runSandbox: true,
      sandboxPort: 3100,
      workerMetricsPort: 9464,
      // a developer's webhook receiver listens on 127.0.0.1
      allowPrivateWebhookTargets: true,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('When external services are given, then they are used; empty strings count as unset', () => {
    expect(
      loadStartConfig({
        DATABASE_URL: 'postgres://u:p@db:5432/payments',
        TEMPORAL_ADDRESS: 'temporal:7233',
        DATA_DIR: '',
      }),
    ).toMatchObject({ databaseUrl: 'postgres://u:p@db:5432/payments', temporalAddress: 'temporal:7233' });
  });

  it('When several values are wrong, then one error lists every problem by variable', () => {
    let error: unknown;
    try {
      loadStartConfig({ DATABASE_URL: 'mysql://x', TEMPORAL_ADDRESS: 'no-port', TEMPORAL_PORT: '70000' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems.map((p) => p.split(':')[0])).toEqual(['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_PORT']);
    expect(message).toMatch(/^Invalid configuration:\n {2}- DATABASE_URL: /);
  });
});
