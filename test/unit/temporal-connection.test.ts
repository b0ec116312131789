import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadApiConfig } from '../../api/config';
import { ConfigError, type Env } from '../../lib/config';
import { temporalConnectionOptions } from '../../lib/temporal';
import { loadStartConfig } from '../../scripts/start-config';
import { loadWorkerConfig } from '../../worker/config';

const TLS = path.resolve(__dirname, '../fixtures/tls');
const file = (name: string) => path.join(TLS, name);
const bytes = (name: string) => readFileSync(file(name));

/** What the worker needs besides Temporal. */
const WORKER_ENV: Env = {
  DATABASE_URL: 'postgres://payments:payments@postgresql:5432/payments',
  SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
  PUBLIC_URL: 'https://pay.example.com',
};
const MTLS: Env = {
  TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem'),
  TEMPORAL_TLS_CLIENT_KEY_PATH: file('client-key.pem'),
};

/** The SDK options the worker process would connect with. */
const optionsFor = (env: Env) =>
  temporalConnectionOptions(loadWorkerConfig({ ...WORKER_ENV, ...env }).temporalConnection);

function problemsOf(env: Env): readonly string[] {
  try {
    loadWorkerConfig({ ...WORKER_ENV, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('the configuration was accepted');
}

describe('Temporal connection settings', () => {
  it('When only an address is set, then the connection is plaintext with nothing else', () => {
    expect(optionsFor({ TEMPORAL_ADDRESS: 'temporal:7233' })).toEqual({ address: 'temporal:7233' });
    expect(optionsFor({})).toEqual({ address: '127.0.0.1:7233' });
  });

  it('When a client certificate and key are set, then the connection is mTLS with their PEM bytes', () => {
    expect(optionsFor({ TEMPORAL_ADDRESS: 'payments.a1b2c.tmprl.cloud:7233', ...MTLS })).toEqual({
      address: 'payments.a1b2c.tmprl.cloud:7233',
      tls: { clientCertPair: { crt: bytes('client.pem'), key: bytes('client-key.pem') } },
    });
  });

  it('When a private CA and a server name are added, then the server is checked against that CA under that name', () => {
    expect(
      optionsFor({
        TEMPORAL_ADDRESS: '10.0.0.5:7233',
        ...MTLS,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'),
        TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
      }),
    ).toEqual({
      address: '10.0.0.5:7233',
      tls: {
        clientCertPair: { crt: bytes('client.pem'), key: bytes('client-key.pem') },
        serverRootCACertificate: bytes('ca.pem'),
        serverNameOverride: 'temporal.test',
      },
    });
  });

  it('When a Temporal Cloud API key is set, then it is sent over TLS', () => {
    expect(
      optionsFor({ TEMPORAL_ADDRESS: 'eu-west-1.aws.api.temporal.io:7233', TEMPORAL_API_KEY: 'tcld-api-key' }),
    ).toEqual({ address: 'eu-west-1.aws.api.temporal.io:7233', tls: {}, apiKey: 'tcld-api-key' });
  });

  it('When only TEMPORAL_TLS=true is set, then the connection is TLS against the system trust store', () => {
    expect(optionsFor({ TEMPORAL_ADDRESS: 'temporal.example.com:7233', TEMPORAL_TLS: 'true' })).toEqual({
      address: 'temporal.example.com:7233',
      tls: {},
    });
  });

  it('When the api and the worker read the same environment, then they connect alike (one schema fragment)', () => {
    const env = { ...WORKER_ENV, ADMIN_TOKEN: 'admin-token-0123456789', ...MTLS, TEMPORAL_API_KEY: 'k' };
    expect(loadApiConfig(env).temporalConnection).toEqual(loadWorkerConfig(env).temporalConnection);
  });

  it('When npm start runs its own dev server, then Temporal Cloud settings in the shell are not used for it', () => {
    expect(loadStartConfig({ TEMPORAL_API_KEY: 'k' }).temporalConnection).toBeUndefined();
    expect(
      loadStartConfig({ TEMPORAL_ADDRESS: 'payments.a1b2c.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k' })
        .temporalConnection,
    ).toEqual({ address: 'payments.a1b2c.tmprl.cloud:7233', tls: {}, apiKey: 'k' });
  });

  it('When a certificate comes without its key, or a key without its certificate, then the missing one is named', () => {
    expect(problemsOf({ TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem') })).toEqual([
      'TEMPORAL_TLS_CLIENT_KEY_PATH: required with TEMPORAL_TLS_CLIENT_CERT_PATH: mTLS needs the client certificate and its private key',
    ]);
    expect(problemsOf({ TEMPORAL_TLS_CLIENT_KEY_PATH: file('client-key.pem') })).toEqual([
      'TEMPORAL_TLS_CLIENT_CERT_PATH: required with TEMPORAL_TLS_CLIENT_KEY_PATH: mTLS needs the client certificate and its private key',
    ]);
  });

  it('When a file is missing or is not what its variable says, then the error names the variable and the file', () => {
    const missing = path.join(TLS, 'no-such.pem');
    expect(
      problemsOf({
        TEMPORAL_TLS_CLIENT_CERT_PATH: file('client-key.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.pem'),
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: missing,
      }),
    ).toEqual([
      `TEMPORAL_TLS_CLIENT_CERT_PATH: ${file('client-key.pem')} is not a PEM certificate`,
      `TEMPORAL_TLS_CLIENT_KEY_PATH: ${file('client.pem')} is not a PEM private key`,
      `TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read ${missing} (ENOENT)`,
    ]);
  });

  it("When the key is not the certificate's, then start-up fails naming both files", () => {
    expect(problemsOf({ ...MTLS, TEMPORAL_TLS_CLIENT_KEY_PATH: file('other-key.pem') })).toEqual([
      `TEMPORAL_TLS_CLIENT_KEY_PATH: ${file('other-key.pem')} is not the private key of the certificate in TEMPORAL_TLS_CLIENT_CERT_PATH (${file('client.pem')})`,
    ]);
  });

  it('When TLS is turned off while an API key or certificate is set, then start-up fails rather than send them in clear', () => {
    expect(problemsOf({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k', ...MTLS })).toEqual([
      'TEMPORAL_TLS: is false, but TEMPORAL_API_KEY, TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH need TLS (an API key is never sent in clear)',
    ]);
    expect(problemsOf({ TEMPORAL_TLS: 'yes' })).toEqual([
      'TEMPORAL_TLS: Invalid option: expected one of "true"|"false"',
    ]);
  });
});
