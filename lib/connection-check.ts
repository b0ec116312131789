/**
 * Checks a merchant's 2Checkout settings against 2Checkout itself, naming the setting at fault: the dashboard's
 * "Check connection" and `npm run selftest` say the same things in the same words.
 */
import type { Merchant } from './merchants';
import { twoCheckoutEndpoints } from './merchants';
import { buildDynamicBuyLink, buildRestAuthHeader, REST_AUTH_HEADER } from './twocheckout';

export interface CheckResult {
  readonly verdict: 'ok' | 'rejected' | 'unreachable';
  /** For people: what was asked, what 2Checkout said, and which setting to fix. */
  readonly message: string;
}

const TIMEOUT_MS = 10_000;

const reason = (err: unknown) =>
  err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);

/**
 * Whether 2Checkout's REST API 6.0 takes the merchant's Merchant Code and Secret Key: an authenticated order search
 * (`GET /orders/?ExternalRefNo=`) that changes nothing, signed like every REST call of the activities.
 */
export async function checkRestApi(
  deps: { fetch: typeof fetch; now: Date },
  merchant: Pick<Merchant, 'merchantCode' | 'secretKey'>,
  restApiUrl: string,
): Promise<CheckResult> {
  const url = `${restApiUrl}/orders/?ExternalRefNo=connection-check`;
  let response: Response;
  try {
    response = await deps.fetch(url, {
      headers: {
        Accept: 'application/json',
        [REST_AUTH_HEADER]: buildRestAuthHeader({
          merchantCode: merchant.merchantCode,
          secretKey: merchant.secretKey,
          now: deps.now,
        }),
      },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.arrayBuffer();
  } catch (err) {
    return {
      verdict: 'unreachable',
      message: `2Checkout's API at ${restApiUrl} could not be reached (${reason(err)}).`,
    };
  }
  if (response.status === 401 || response.status === 403)
    return {
      verdict: 'rejected',
      message: `2Checkout's API refused our authentication (HTTP ${response.status}): the Merchant Code or Secret Key is wrong.`,
    };
  if (!response.ok)
    return { verdict: 'unreachable', message: `2Checkout's API at ${restApiUrl} answered HTTP ${response.status}.` };
  return {
    verdict: 'ok',
    message: `2Checkout's API accepted the Merchant Code ${merchant.merchantCode} and the Secret Key.`,
  };
}

/**
 * What 2Checkout's checkout says to a signed buy link: it shows the order (200) only when the link's signature matches
 * the Buy-link Secret Word it holds for the merchant code on the link.
 */
export async function checkBuyLink(fetchFn: typeof fetch, buyLink: string): Promise<CheckResult> {
  const url = new URL(buyLink);
  const code = url.searchParams.get('merchant') ?? '';
  let status: number;
  try {
    const response = await fetchFn(buyLink, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    await response.arrayBuffer();
    status = response.status;
  } catch (err) {
    return {
      verdict: 'unreachable',
      message: `2Checkout's checkout at ${url.origin} could not be reached (${reason(err)}).`,
    };
  }
  if (status === 200)
    return { verdict: 'ok', message: `2Checkout's checkout takes links signed with this Buy-link Secret Word.` };
  if (status === 404)
    return {
      verdict: 'rejected',
      message: `2Checkout's checkout does not know the merchant code ${code} (HTTP 404): check the Merchant Code.`,
    };
  return {
    verdict: 'rejected',
    message: `2Checkout refused the payment link (HTTP ${status}): the Buy-link Secret Word differs from the one in 2Checkout.`,
  };
}

/**
 * The dashboard's "Check connection": the REST API with the Secret Key, and for a `sandbox` merchant also whether the
 * sandbox knows it with the same Buy-link Secret Word (a signed link to its checkout page, which creates no order).
 * 2Checkout's real checkout is a page for people, not an API to probe, so a live merchant's link is left to the
 * self-test, where a person pays it.
 */
export async function checkTwoCheckoutConnection(
  deps: { fetch: typeof fetch; clock: () => Date; sandboxUrl: string },
  merchant: Merchant,
): Promise<{ restApi: CheckResult; buyLink?: CheckResult }> {
  const endpoints = twoCheckoutEndpoints(merchant.environment, deps.sandboxUrl);
  const now = deps.clock();
  const restApi = await checkRestApi({ fetch: deps.fetch, now }, merchant, endpoints.restApiUrl);
  if (merchant.environment !== 'sandbox') return { restApi };
  const probe = buildDynamicBuyLink({
    baseUrl: endpoints.buyLinkUrl,
    merchantCode: merchant.merchantCode,
    buyLinkSecretWord: merchant.buyLinkSecretWord,
    items: [{ name: 'Connection check', price: '1.00', quantity: 1 }],
    currency: 'USD',
    orderExtRef: 'connection-check',
    expiresAt: new Date(now.getTime() + 10 * 60_000),
    test: true,
  });
  return { restApi, buyLink: await checkBuyLink(deps.fetch, probe) };
}
