import type { ApiConfig } from '../../api/config';

/**
 * Rate limits no suite reaches: every test sends from 127.0.0.1, and many send hundreds of requests (schemathesis,
 * the flows). test/integration/security-web.test.ts sets low ones to see them refuse.
 */
export const UNREACHED_RATE_LIMITS: ApiConfig['rateLimits'] = {
  orderLinkPerClient: 1_000_000,
  orderLinkPerProduct: 1_000_000,
  dashboardLogin: 1_000_000,
  badApiKey: 1_000_000,
  ipnPerMerchant: 1_000_000,
};
