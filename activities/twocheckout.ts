import { ApplicationFailure } from '@temporalio/activity';
import { twoCheckoutEndpoints, type Merchant } from '../lib/merchants';
import { MoneyError, toMinorUnits } from '../lib/money';
import type { TwoCheckoutOutcome } from '../lib/worker-metrics';
import { buildRestAuthHeader, REST_AUTH_HEADER } from '../lib/twocheckout';
import type { TwoCheckoutOrder } from '../lib/invoice/decide';
import { ERRORS } from '../workflows/shared';
import type { ActivityDeps } from './deps';

const TIMEOUT_MS = 15_000;
const SEARCH_PAGE_SIZE = 200;
/** 10,000 orders for one invoice is beyond any real case: a bound, not a limit. */
const MAX_SEARCH_PAGES = 50;

/**
 * 2Checkout's REST API 6.0 for one merchant's orders, as the invoice activities ask it, with the merchant's settings
 * they have just read. A failure is an ApplicationFailure: retryable (unreachable, refused: the activity's retry
 * policy asks again, reading the settings afresh) or not.
 */
export const twoCheckoutApi = ({ sandboxUrl, fetch, clock, metrics }: ActivityDeps) => {
  /** `restGetUntimed`, counted and timed by outcome: each non-ok request is one the activity retries. */
  async function restGet(merchant: Merchant, path: string): Promise<unknown> {
    const operation = path.startsWith('/orders/?') ? 'find_orders' : 'get_order';
    const started = performance.now();
    const record = (outcome: TwoCheckoutOutcome) =>
      metrics?.twoCheckoutRequest(operation, outcome, (performance.now() - started) / 1000);
    try {
      const body = await restGetUntimed(merchant, path);
      record('ok');
      return body;
    } catch (err) {
      const type = err instanceof ApplicationFailure ? err.type : undefined;
      if (type === ERRORS.twoCheckoutRejected) record('rejected');
      else if (type === ERRORS.twoCheckoutUnreachable) record('unreachable');
      throw err;
    }
  }

  /** GET on the merchant's REST API 6.0, authenticated; `undefined` for 404. Failures are retryable, with reasons. */
  async function restGetUntimed(merchant: Merchant, path: string): Promise<unknown> {
    const url = `${twoCheckoutEndpoints(merchant.environment, sandboxUrl).restApiUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { Accept: 'application/json', [REST_AUTH_HEADER]: authHeader(merchant, clock()) },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw ApplicationFailure.retryable(
        `2Checkout API unreachable (${err instanceof Error ? err.message : String(err)})`,
        ERRORS.twoCheckoutUnreachable,
      );
    }
    if (response.status === 404) return undefined;
    const text = await response.text();
    if (response.status === 401 || response.status === 403) {
      // Wrong merchant code or Secret Key: retried, since the merchant may fix the settings, and shown meanwhile.
      throw ApplicationFailure.retryable(
        `2Checkout refused our authentication (HTTP ${response.status}): check the merchant code and Secret Key`,
        ERRORS.twoCheckoutRejected,
      );
    }
    if (!response.ok) {
      throw ApplicationFailure.retryable(
        `2Checkout API answered HTTP ${response.status}`,
        ERRORS.twoCheckoutUnreachable,
      );
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw ApplicationFailure.retryable('2Checkout API answered with invalid JSON', ERRORS.twoCheckoutUnreachable);
    }
  }

  return {
    /** 2Checkout's view of one order (`GET /orders/{RefNo}/`), or null when it has none. */
    async fetchOrder(merchant: Merchant, refNo: string): Promise<TwoCheckoutOrder | null> {
      const body = await restGet(merchant, `/orders/${encodeURIComponent(refNo)}/`);
      return body === undefined ? null : toOrder(body);
    },

    /**
     * Every order 2Checkout holds for this invoice (`GET /orders/?ExternalRefNo=`), page by page. Without a start
     * date 2Checkout searches the last 7 days only, and an invoice lives up to 90: the search starts the day before
     * the invoice was made (any server time zone), and includes test orders for merchants that accept them.
     */
    async findOrdersOfInvoice(
      merchant: Merchant,
      invoice: { id: string; created_at: Date },
    ): Promise<TwoCheckoutOrder[]> {
      const search = new URLSearchParams({
        ExternalRefNo: invoice.id,
        StartDate: new Date(invoice.created_at.getTime() - 86_400_000).toISOString().slice(0, 10),
        IncludeTestOrders: merchant.acceptTestOrders ? 'YES' : 'NO',
        Limit: String(SEARCH_PAGE_SIZE),
      });
      const orders: TwoCheckoutOrder[] = [];
      for (let page = 1; ; page++) {
        search.set('Page', String(page));
        const body = await restGet(merchant, `/orders/?${search.toString()}`);
        const items: unknown[] = Array.isArray(body)
          ? body
          : isRecord(body) && Array.isArray(body.Items)
            ? body.Items
            : [];
        orders.push(...items.map(toOrder));
        if (items.length < SEARCH_PAGE_SIZE || page === MAX_SEARCH_PAGES) return orders;
      }
    },
  };
};

function authHeader(merchant: Merchant, now: Date): string {
  return buildRestAuthHeader({ merchantCode: merchant.merchantCode, secretKey: merchant.secretKey, now });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads 2Checkout's order JSON defensively: prices may be numbers or strings; anything odd fails safe (no match). */
export function toOrder(body: unknown): TwoCheckoutOrder {
  if (!isRecord(body))
    throw ApplicationFailure.retryable('2Checkout order is not an object', ERRORS.twoCheckoutUnreachable);
  const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
  const currency = (str(body.Currency) ?? '').toUpperCase();
  const grossPrice = str(body.GrossPrice) ?? '';
  // NetPrice is the value before tax; an answer without it has no tax to take off
  const netPrice = str(body.NetPrice) ?? grossPrice;
  const minor = (amount: string) => {
    try {
      return toMinorUnits(amount, currency);
    } catch (err) {
      if (!(err instanceof MoneyError)) throw err;
      return null;
    }
  };
  const test = body.TestOrder;
  return {
    refNo: str(body.RefNo) ?? '',
    orderNo: str(body.OrderNo),
    externalReference: str(body.ExternalReference),
    status: (str(body.Status) ?? '').toUpperCase(),
    approveStatus: str(body.ApproveStatus)?.toUpperCase() ?? null,
    currency,
    grossMinor: minor(grossPrice),
    grossPrice,
    netMinor: minor(netPrice),
    netPrice,
    testOrder:
      typeof test === 'boolean' ? test : test === 1 || test === '1' ? true : test === 0 || test === '0' ? false : null,
  };
}
