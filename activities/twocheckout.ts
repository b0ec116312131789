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
    /**
     * The order's total with tax and its lines, as 2Checkout lists them (`GET /orders/{RefNo}/`): what a refund asks
     * for. Null when 2Checkout has no such order.
     */
    async orderLines(
      merchant: Merchant,
      refNo: string,
    ): Promise<{ grossMinor: number | null; lines: OrderLine[] } | null> {
      const body = await restGet(merchant, `/orders/${encodeURIComponent(refNo)}/`);
      return body === undefined ? null : { grossMinor: toOrder(body).grossMinor, lines: linesOf(body) };
    },

    /**
     * `POST /orders/{RefNo}/refund/` (REST API 6.0, "Refunding an order"). 2Checkout answers `true` when it registered
     * the refund, or an error it explains. Sent once per call: what a lost answer means is the caller's to decide, so
     * a failure says whether the request may have reached 2Checkout.
     */
    async refundOrder(merchant: Merchant, refNo: string, request: RefundRequestBody): Promise<RefundAnswer> {
      const url = `${twoCheckoutEndpoints(merchant.environment, sandboxUrl).restApiUrl}/orders/${encodeURIComponent(refNo)}/refund/`;
      const started = performance.now();
      const record = (outcome: TwoCheckoutOutcome) =>
        metrics?.twoCheckoutRequest('refund_order', outcome, (performance.now() - started) / 1000);
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            Accept: 'application/json',
            'Content-Type': 'application/json',
            [REST_AUTH_HEADER]: authHeader(merchant, clock()),
          },
          body: JSON.stringify(request),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (err) {
        record('unreachable');
        const message = `2Checkout API unreachable (${describe(err)})`;
        // No connection was made: nothing reached 2Checkout. Anything else (a timeout, a reset) may have.
        return neverConnected(err) ? { kind: 'not_sent', message } : { kind: 'unknown', message };
      }
      const text = await response.text().catch(() => '');
      if (response.status === 401 || response.status === 403) {
        record('rejected');
        return {
          kind: 'not_sent',
          message: `2Checkout refused our authentication (HTTP ${response.status}): check the merchant code and Secret Key`,
        };
      }
      if (RETRY_LATER.has(response.status)) {
        record('unreachable');
        return { kind: 'not_sent', message: `2Checkout API answered HTTP ${response.status}` };
      }
      if (response.status >= 500) {
        record('unreachable');
        return { kind: 'unknown', message: `2Checkout API answered HTTP ${response.status}` };
      }
      record('ok');
      let body: unknown;
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = text;
      }
      if (response.ok && (body === true || body === 'true' || body === '1' || body === 1)) return { kind: 'accepted' };
      if (isRecord(body) && (typeof body.message === 'string' || typeof body.error_code === 'string')) {
        const code = typeof body.error_code === 'string' ? `${body.error_code}: ` : '';
        return { kind: 'refused', message: `${code}${typeof body.message === 'string' ? body.message : ''}`.trim() };
      }
      if (response.ok && body === false) return { kind: 'refused', message: '2Checkout did not register the refund' };
      return response.ok
        ? {
            kind: 'unknown',
            message: `2Checkout answered HTTP ${response.status} with ${JSON.stringify(text.slice(0, 100))}`,
          }
        : { kind: 'refused', message: `2Checkout answered HTTP ${response.status}` };
    },

    /** 2Checkout's view of one order (`GET /orders/{RefNo}/`), or null when it has none. */
    async fetchOrder(merchant: Merchant, refNo: string): Promise<TwoCheckoutOrder | null> {
      const body = await restGet(merchant, `/orders/${encodeURIComponent(refNo)}/`);
      return body === undefined ? null : toOrder(body);
    },

    /**
     * Every order 2Checkout holds for this invoice (`GET /orders/?ExternalRefNo=`), page by page. Without a start
     * date 2Checkout searches the last 7 days only, and an invoice lives up to 90: the search starts the day before
     * the invoice was made (any server time zone), and includes test orders for setups that accept them: only
     * them for a test invoice on 2Checkout itself, where test and real orders share the account.
     */
    async findOrdersOfInvoice(
      merchant: Merchant,
      invoice: { id: string; created_at: Date },
    ): Promise<TwoCheckoutOrder[]> {
      const search = new URLSearchParams({
        ExternalRefNo: invoice.id,
        StartDate: new Date(invoice.created_at.getTime() - 86_400_000).toISOString().slice(0, 10),
        IncludeTestOrders: !merchant.acceptTestOrders ? 'NO' : merchant.environment === 'live' ? 'ONLY' : 'YES',
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

/** Answers that say 2Checkout did not take the request: it may be sent again. */
const RETRY_LATER = new Set([429, 502, 503, 504]);

/** The body of `POST /orders/{RefNo}/refund/`, as 2Checkout documents it and its own modules send it. */
export interface RefundRequestBody {
  /** In the order currency, with the tax 2Checkout added: the whole GrossPrice for a full refund. */
  readonly amount: number;
  readonly comment: string;
  /** One of the account's refund reasons: 2Checkout's modules send `Other`. */
  readonly reason: string;
  /** A partial refund names the line it comes from (2Checkout's WHMCS and PrestaShop modules do). */
  readonly items?: readonly { LineItemReference: string; Quantity: number; Amount: number }[];
}

export type RefundAnswer =
  | { readonly kind: 'accepted' }
  /** 2Checkout answered and refused it; its reason. */
  | { readonly kind: 'refused'; readonly message: string }
  /** It did not reach 2Checkout, or 2Checkout said to come back: sending it again is safe. */
  | { readonly kind: 'not_sent'; readonly message: string }
  /** It may have reached 2Checkout, and no answer says whether it was taken. */
  | { readonly kind: 'unknown'; readonly message: string };

/** One line of a 2Checkout order: its reference and its price with tax, in minor units (null: unreadable). */
export interface OrderLine {
  readonly reference: string;
  readonly grossMinor: number | null;
}

const describe = (err: unknown) => {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  const inner = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return `${err instanceof Error ? err.message : String(err)}${inner ? `: ${inner}` : ''}`;
};

/** The connection itself failed: no byte of the request left this machine. */
function neverConnected(err: unknown): boolean {
  const code = (err as { cause?: { code?: unknown } }).cause?.code;
  return (
    typeof code === 'string' && ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)
  );
}

function linesOf(body: unknown): OrderLine[] {
  if (!isRecord(body) || !Array.isArray(body.Items)) return [];
  const currency = typeof body.Currency === 'string' ? body.Currency.toUpperCase() : '';
  return body.Items.filter(isRecord).map((item) => {
    const price = isRecord(item.Price) ? item.Price : {};
    const gross =
      typeof price.GrossPrice === 'number' || typeof price.GrossPrice === 'string' ? String(price.GrossPrice) : '';
    let grossMinor: number | null;
    try {
      grossMinor = toMinorUnits(gross, currency);
    } catch {
      grossMinor = null;
    }
    return { reference: typeof item.LineItemReference === 'string' ? item.LineItemReference : '', grossMinor };
  });
}

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
