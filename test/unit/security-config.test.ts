import { randomBytes } from 'node:crypto';
import { loadApiConfig } from '../../api/config';
import { ConfigError } from '../../lib/config';

const REQUIRED = {
  DATABASE_URL: 'postgres://payments@127.0.0.1:5432/payments',
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  ADMIN_TOKEN: 'admin-token-for-tests-0123456789',
  SECRETS_KEY: randomBytes(32).toString('base64'),
};

describe('the api’s rate limits, proxies and IPN retention (README "Security")', () => {
  it('When nothing is set, then the documented defaults apply and no proxy is trusted', () => {
    const c = loadApiConfig(REQUIRED);
    expect({ rateLimits: c.rateLimits, trustProxy: c.trustProxy, retention: c.rejectedIpnRetentionMs }).toEqual({
      rateLimits: {
        orderLinkPerClient: 20,
        orderLinkPerProduct: 300,
        dashboardLogin: 10,
        badApiKey: 100,
        ipnPerMerchant: 1200,
      },
      trustProxy: false,
      retention: 30 * 86400_000,
    });
  });

  it('When they are set, then a hop count is a number and addresses stay as Express reads them', () => {
    const c = loadApiConfig({
      ...REQUIRED,
      RATE_LIMIT_IPN_PER_MERCHANT: '5000',
      RATE_LIMIT_ORDER_LINK_PER_CLIENT: '',
      REJECTED_IPN_RETENTION_DAYS: '7',
      TRUST_PROXY: '1',
    });
    expect([
      c.rateLimits.ipnPerMerchant,
      c.rateLimits.orderLinkPerClient,
      c.rejectedIpnRetentionMs,
      c.trustProxy,
    ]).toEqual([5000, 20, 7 * 86400_000, 1]);
    expect(loadApiConfig({ ...REQUIRED, TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback, 10.0.0.0/8');
  });

  it('When every X-Forwarded-For would be believed, or a limit is 0, then start-up fails naming each', () => {
    let error: unknown;
    try {
      loadApiConfig({
        ...REQUIRED,
        TRUST_PROXY: 'true',
        RATE_LIMIT_BAD_API_KEY: '0',
        REJECTED_IPN_RETENTION_DAYS: '0',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'RATE_LIMIT_BAD_API_KEY',
      'REJECTED_IPN_RETENTION_DAYS',
      'TRUST_PROXY',
    ]);
  });
});
