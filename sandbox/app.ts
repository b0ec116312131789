import { randomInt } from 'node:crypto';
import express from 'express';
import { requestLogger, type Logger } from '../lib/logger';
import { isCurrency, fromMinorUnits, toMinorUnits } from '../lib/money';
import {
  makeIpn,
  parseIpn,
  REST_AUTH_HEADER,
  returnUrlSignature,
  serializeIpn,
  verifyBuyLink,
  verifyRestAuthHeader,
  type IpnField,
} from '../lib/twocheckout';
import {
  DEFAULT_PAYOUT_CURRENCY,
  DEFAULT_PLAN,
  FX_MARKUP_PERCENT,
  hasRate,
  planProblem,
  USD_PER_UNIT,
  type SandboxPlan,
} from './fees';
import { createIpnSender } from './ipn-sender';
import {
  ipnFieldsFor,
  newOrder,
  newProductId,
  orderJson,
  resentIpnFields,
  orderTotals,
  type ChargebackResolution,
  type IpnOptions,
  type SandboxItem,
  type SandboxMerchant,
  type SandboxOrder,
  type SandboxRefund,
  lineItemReference,
  lineGrossMinor,
} from './orders';
import { checkoutPage, errorPage, esc, layout } from './pages';
import { serverClock } from './server-clock';
import { createStore } from './store';

export interface SandboxDeps {
  /** Multiplies 2Checkout's IPN retry delays: 1 in real life, 0.001 in tests. */
  retryScale: number;
  /** How long a PENDING or fraud-review order waits before it completes. */
  settleDelayMs: number;
  fetch: typeof fetch;
  clock: () => Date;
  /** Request lines (never bodies: the checkout posts card data); none when absent. */
  logger?: Logger;
  /** Where merchants, orders and IPNs are kept across restarts; none: in memory only. */
  stateFile?: string;
  /** The IANA zone 2Checkout's dates are written in (IPNs, REST); its fixtures say GMT+03:00: Bucharest. */
  timeZone?: string;
}

type CardOutcome = 'success' | 'declined' | 'pending' | 'review_approved' | 'review_denied';
const CARDS: Record<string, { outcome: CardOutcome; type: string }> = {
  '4111111111111111': { outcome: 'success', type: 'visa' },
  '5555555555554444': { outcome: 'success', type: 'mastercard' },
  '4000000000000002': { outcome: 'declined', type: 'visa' },
  '4000000000000077': { outcome: 'pending', type: 'visa' },
  '4000000000000259': { outcome: 'review_approved', type: 'visa' },
  '4000000000000341': { outcome: 'review_denied', type: 'visa' },
};

/**
 * A faithful local 2Checkout: the ConvertPlus buy page (signature and expiration checked with the protocol module),
 * orders paid with test cards, IPNs in 2Checkout's field order with all three signatures and its retry schedule,
 * REST API 6.0 order look-ups behind X-Avangate-Authentication, and a control API and page.
 */
export function createSandbox(deps: SandboxDeps) {
  const clock = serverClock(deps.timeZone ?? 'Europe/Bucharest');
  const store = createStore(deps.stateFile);
  const saved = store.load();
  const merchants = new Map(saved.merchants.map((m) => [m.merchantCode, m]));
  const orders = new Map(saved.orders.map((o) => [o.refNo, o]));
  let lastOrderNo = saved.lastOrderNo;
  const sender = createIpnSender({
    retryScale: deps.retryScale,
    fetch: deps.fetch,
    clock: deps.clock,
    merchant: (code) => merchants.get(code),
    onChange: () => store.changed(),
    deliveries: saved.deliveries,
  });
  store.track(() => ({
    merchants: [...merchants.values()],
    orders: [...orders.values()],
    deliveries: sender.deliveries,
    lastOrderNo,
  }));
  const timers = new Set<NodeJS.Timeout>();

  /** IPN_DATE strictly increases per order, as 2Checkout's do (whole seconds). */
  function nextIpnAt(order: SandboxOrder): Date {
    const at = Math.max(deps.clock().getTime(), (order.lastIpnAt ?? 0) + 1000);
    order.lastIpnAt = at;
    return new Date(at);
  }

  function deliver(merchant: SandboxMerchant, order: SandboxOrder, fields: IpnField[], drop?: boolean) {
    const ipn = makeIpn(fields);
    return sender.send(
      merchant,
      {
        refNo: order.refNo,
        orderStatus: ipn.get('ORDERSTATUS') ?? '',
        ipnDate: ipn.get('IPN_DATE') ?? '',
        body: serializeIpn(fields),
      },
      drop === undefined ? {} : { drop },
    );
  }

  /** Emits an IPN for the order's current state. */
  function emit(order: SandboxOrder, options: Omit<IpnOptions, 'at' | 'messageId'>) {
    const merchant = merchants.get(order.merchantCode)!;
    const fields = ipnFieldsFor(
      order,
      merchant,
      { ...options, at: nextIpnAt(order), messageId: String(randomInt(1e11, 1e12)) },
      clock,
    );
    store.changed();
    return deliver(merchant, order, fields);
  }

  /** What happens to an order after the settle delay; kept on the order, so a restart carries it out. */
  function later(order: SandboxOrder, next: SandboxOrder['next']) {
    order.next = next;
    store.changed();
    if (next === null) return;
    const t = setTimeout(() => {
      timers.delete(t);
      if (order.next !== next) return;
      order.next = null;
      if (next === 'authorize') authorize(order);
      else if (next === 'complete') complete(order);
      else if (next === 'refund') approveRefund(order);
      else deny(order);
    }, deps.settleDelayMs);
    timers.add(t);
  }

  /** The bank authorized the payment: the REST order reads AUTHRECEIVED, the IPN says PAYMENT_AUTHORIZED. */
  function authorize(order: SandboxOrder) {
    if (order.status !== 'PENDING') return;
    Object.assign(order, { status: 'AUTHRECEIVED', approveStatus: 'OK' });
    emit(order, { orderStatus: 'PAYMENT_AUTHORIZED' });
    later(order, 'complete');
  }

  function complete(order: SandboxOrder) {
    if (order.status !== 'AUTHRECEIVED') return;
    Object.assign(order, { status: 'COMPLETE', approveStatus: 'OK', finishedAt: deps.clock() });
    emit(order, { orderStatus: 'COMPLETE' });
  }

  function deny(order: SandboxOrder) {
    if (order.status !== 'AUTHRECEIVED') return;
    Object.assign(order, { status: 'CANCELED', approveStatus: 'FRAUD' });
    emit(order, { orderStatus: 'CANCELED', fraudStatus: 'DENIED' });
  }

  /**
   * 2Checkout's refund rules, as its documentation states them, refused in its words (its issueRefund error list):
   * only a COMPLETE order without an open chargeback, one refund pending at a time, within 3 months of the order
   * through the API, never more than is left.
   */
  function refundRefusal(order: SandboxOrder, amountMinor: number, via: SandboxRefund['via']): string | undefined {
    if (order.status === 'REFUND') return 'You have already placed a Total refund for this order.';
    if (order.status !== 'COMPLETE' || order.chargeback === 'OPEN')
      return "You cannot place a refund request due to the order's current status.";
    if ((order.refunds ?? []).some((r) => r.status === 'pending')) return 'You already have a pending refund request.';
    if (via === 'api' && deps.clock().getTime() - order.createdAt.getTime() > REFUND_PERIOD_MS)
      return 'The allowed period to request a new refund for this order has expired.';
    if (amountMinor <= 0 || amountMinor > refundableMinor(order))
      return 'The maximum refundable amount for this order has been exceeded.';
    return undefined;
  }

  /** The oldest pending refund is approved: the order counts it and 2Checkout notifies the merchant (IRN). */
  function approveRefund(order: SandboxOrder) {
    const refund = (order.refunds ?? []).find((r) => r.status === 'pending');
    if (!refund) return;
    refund.status = 'approved';
    refunded(order, toMinorUnits(refund.amount, order.currency));
  }

  /** Counts a refund on the order, and sends its REFUND IPN with the refunded amount negative (IRN documentation). */
  function refunded(order: SandboxOrder, amountMinor: number) {
    const gross = toMinorUnits(order.grossPrice, order.currency);
    const already = toMinorUnits(order.refundedPrice, order.currency);
    order.refundedPrice = fromMinorUnits(already + amountMinor, order.currency);
    const full = already + amountMinor === gross;
    if (full) order.status = 'REFUND';
    emit(order, {
      orderStatus: 'REFUND',
      refundType: full ? 'FULL' : 'PARTIAL',
      totalOverride: fromMinorUnits(-amountMinor, order.currency),
    });
  }

  // Orders that were waiting when the sandbox stopped go on.
  for (const order of orders.values()) if (order.next) later(order, order.next);

  const app = express();
  app.disable('x-powered-by');
  if (deps.logger) app.use(requestLogger(deps.logger));
  app.use(express.urlencoded({ extended: false }));
  app.use(express.json());

  // ---- ConvertPlus hosted checkout -------------------------------------------------------------------------------
  type Link = {
    merchant: SandboxMerchant;
    params: Readonly<Record<string, string>>;
    items: SandboxItem[];
    currency: string;
  };
  function readLink(query: string): Link | { status: number; title: string; text: string } {
    const search = new URLSearchParams(query);
    const merchant = merchants.get(search.get('merchant') ?? '');
    if (!merchant)
      return {
        status: 404,
        title: 'Unknown merchant',
        text: 'No merchant with this code is registered in the sandbox.',
      };
    const verdict = verifyBuyLink(search, merchant.buyLinkSecretWord, deps.clock());
    if (!verdict.ok) {
      const text =
        verdict.reason === 'expired'
          ? 'This payment link has expired.'
          : `This payment link is not valid (${verdict.reason.replace(/_/g, ' ')}): its signature does not match the merchant's Buy-link Secret Word.`;
      return { status: 400, title: 'Invalid payment link', text };
    }
    const p = verdict.params;
    const split = (v: string | undefined) => (v ?? '').split(';');
    const names = split(p.prod);
    const prices = split(p.price);
    const qtys = split(p.qty);
    const currency = (p.currency ?? '').toUpperCase();
    if (p.dynamic !== '1' || !isCurrency(currency) || names.length !== prices.length || names.length !== qtys.length) {
      return {
        status: 400,
        title: 'Invalid payment link',
        text: 'This sandbox sells dynamic products: prod, price, qty and currency are required.',
      };
    }
    if (!hasRate(currency)) {
      return {
        status: 400,
        title: 'Invalid payment link',
        text: `This sandbox sells in the currencies it states exchange rates for: ${Object.keys(USD_PER_UNIT).join(', ')}.`,
      };
    }
    try {
      const items = names.map((name, i) => {
        toMinorUnits(prices[i]!, currency);
        const quantity = Number(qtys[i]);
        if (!Number.isInteger(quantity) || quantity < 1) throw new Error('qty');
        return { pid: newProductId(), name, price: prices[i]!, quantity };
      });
      return { merchant, params: p, items, currency };
    } catch {
      return { status: 400, title: 'Invalid payment link', text: 'A price or quantity on this link cannot be read.' };
    }
  }

  const showCheckout = (res: express.Response, link: Link, query: string, error?: string) =>
    res
      .status(error ? 402 : 200)
      .type('html')
      .send(
        checkoutPage({
          merchantName: link.merchant.name,
          items: link.items,
          ...orderTotals(link.items, link.currency, link.merchant.taxPercent),
          currency: link.currency,
          query,
          test: link.params.test === '1',
          ...(error && { error }),
        }),
      );

  app.get(['/checkout/buy', '/checkout/buy/'], (req, res) => {
    const query = req.originalUrl.split('?')[1] ?? '';
    const link = readLink(query);
    if ('status' in link) res.status(link.status).type('html').send(errorPage(link.title, link.text));
    else showCheckout(res, link, query);
  });

  app.post('/checkout/pay', (req, res) => {
    const body = req.body as Record<string, string | undefined>;
    const query = body.link ?? '';
    const link = readLink(query);
    if ('status' in link) {
      res.status(link.status).type('html').send(errorPage(link.title, link.text));
      return;
    }
    const number = (body.card ?? '').replace(/\s+/g, '');
    const card = CARDS[number];
    if (!card || card.outcome === 'declined') {
      showCheckout(res, link, query, card ? 'Your card was declined.' : 'Use one of the test cards listed below.');
      return;
    }
    const [firstName = '', ...rest] = (body.name ?? '').trim().split(/\s+/);
    const review = card.outcome.startsWith('review');
    const order = newOrder(
      {
        merchantCode: link.merchant.merchantCode,
        externalReference: link.params['order-ext-ref'] ?? '',
        items: link.items,
        currency: link.currency,
        taxPercent: link.merchant.taxPercent,
        // placed, waiting for the bank; a fraud review holds an authorized amount
        status: review ? 'AUTHRECEIVED' : 'PENDING',
        approveStatus: 'WAITING',
        testOrder: link.params.test === '1',
        customer: { firstName, lastName: rest.join(' '), email: body.email ?? '' },
        card: { type: card.type, lastDigits: number.slice(-4) },
        createdAt: deps.clock(),
        next: null,
      },
      ++lastOrderNo,
    );
    orders.set(order.refNo, order);
    switch (card.outcome) {
      case 'success':
        emit(order, { orderStatus: 'PENDING', fraudStatus: 'PENDING' });
        authorize(order);
        break;
      case 'pending':
        emit(order, { orderStatus: 'PENDING', fraudStatus: 'PENDING' });
        later(order, 'authorize');
        break;
      case 'review_approved':
        emit(order, { orderStatus: 'PENDING_APPROVAL' });
        later(order, 'complete');
        break;
      case 'review_denied':
        emit(order, { orderStatus: 'PENDING_APPROVAL' });
        later(order, 'deny');
        break;
    }
    const returnUrl = link.params['return-url'];
    if (returnUrl && link.params['return-type'] !== 'link') {
      const { signature: _signature, ...params } = link.params;
      const back: Record<string, string> = { ...params, refno: order.refNo };
      back.signature = returnUrlSignature(back, link.merchant.buyLinkSecretWord);
      res.redirect(302, `${returnUrl}${returnUrl.includes('?') ? '&' : '?'}${new URLSearchParams(back).toString()}`);
      return;
    }
    res
      .type('html')
      .send(
        layout(
          'Thank you',
          `<h1>Thank you</h1><p>Order <strong id="refno">${esc(order.refNo)}</strong> is placed.</p>`,
        ),
      );
  });

  // ---- REST API 6.0 -----------------------------------------------------------------------------------------------
  const rest = express.Router();
  rest.use((req, res, next) => {
    const auth = verifyRestAuthHeader(req.get(REST_AUTH_HEADER), {
      secretKeyFor: (code) => merchants.get(code)?.secretKey,
      now: deps.clock(),
      maxSkewMs: 10 * 60_000,
    });
    if (!auth.ok) {
      res.status(401).json({ error_code: 'AUTHENTICATION_ERROR', message: `Authentication failed: ${auth.reason}` });
      return;
    }
    if (auth.algorithm === 'md5') {
      // 2Checkout stopped accepting MD5 for its API on 15 August 2024 (phase one of its MD5 decommissioning).
      res.status(401).json({
        error_code: 'AUTHENTICATION_ERROR',
        message: 'Authentication failed: MD5 is no longer accepted; send algo="sha256" or algo="sha3-256"',
      });
      return;
    }
    res.locals.merchantCode = auth.merchantCode;
    next();
  });
  rest.get('/orders/', (req, res) => {
    const search = readOrderSearch(req.query, deps.clock(), clock);
    if ('error' in search) {
      res.status(400).json({ error_code: 'INVALID_PARAMETER', message: search.error });
      return;
    }
    const items = [...orders.values()].filter((o) => {
      const day = clock.date(o.createdAt);
      return (
        o.merchantCode === res.locals.merchantCode &&
        (search.externalRefNo === undefined || o.externalReference === search.externalRefNo) &&
        day >= search.from &&
        (search.to === undefined || day <= search.to) &&
        (search.tests === 'YES' || (search.tests === 'ONLY') === o.testOrder)
      );
    });
    const page = items.slice((search.page - 1) * search.limit, search.page * search.limit);
    res.json({
      Items: page.map((o) => orderJson(o, clock)),
      Pagination: { Page: search.page, Limit: search.limit, Count: items.length },
    });
  });
  rest.get('/orders/:refNo/', (req, res) => {
    const order = orders.get(req.params.refNo);
    if (!order || order.merchantCode !== res.locals.merchantCode) {
      res.status(404).json({ error_code: 'NOT_FOUND', message: 'Order not found' });
      return;
    }
    res.json(orderJson(order, clock));
  });
  /**
   * `POST /orders/{RefNo}/refund/` ("Refunding an order"): `amount` in the order currency, tax included; `comment`;
   * `reason` (one of the account's refund reasons); `items` naming lines for a partial refund. Answers `true` when the
   * refund is registered: pending until 2Checkout approves it (the settle delay here), then its REFUND IPN. Refusals
   * are 2Checkout's messages; its REST error codes are not documented, so the codes here are the sandbox's.
   */
  rest.post('/orders/:refNo/refund/', (req, res) => {
    const order = orders.get(req.params.refNo);
    if (!order || order.merchantCode !== res.locals.merchantCode) {
      res.status(404).json({ error_code: 'NOT_FOUND', message: 'Order not found' });
      return;
    }
    const invalid = (message: string) => res.status(400).json({ error_code: 'INVALID_PARAMETER', message });
    const body = (req.body ?? {}) as Record<string, unknown>;
    const decimal = (v: unknown) => {
      try {
        return typeof v === 'number' || typeof v === 'string' ? toMinorUnits(String(v), order.currency) : null;
      } catch {
        return null;
      }
    };
    const amount = decimal(body.amount);
    if (amount === null) return invalid('Invalid ORDER_AMOUNT');
    if (typeof body.comment !== 'string' || body.comment.trim() === '') return invalid('Comment is required');
    if (typeof body.reason !== 'string' || !REFUND_REASONS.includes(body.reason))
      return invalid(`Invalid refund reason: use one of ${REFUND_REASONS.join(', ')}`);
    const items = body.items === undefined ? [] : body.items;
    if (!Array.isArray(items)) return invalid('PRODUCTS_CODES missing or format incorrect');
    const lines = new Map(
      order.items.map((item, index) => [
        lineItemReference(order.refNo, index),
        lineGrossMinor(item, order.currency, order.taxPercent),
      ]),
    );
    let itemsMinor = 0;
    for (const item of items as Record<string, unknown>[]) {
      const line = typeof item?.LineItemReference === 'string' ? lines.get(item.LineItemReference) : undefined;
      const lineAmount = decimal(item?.Amount);
      if (line === undefined) return invalid('PRODUCTS_CODES missing or format incorrect');
      if (!Number.isInteger(item.Quantity) || (item.Quantity as number) < 1) return invalid('Invalid PRODUCTS_QTY');
      if (lineAmount === null || lineAmount <= 0 || lineAmount > line)
        return refuse('The maximum refundable amount for this order has been exceeded.');
      itemsMinor += lineAmount;
    }
    // A refund of less than is left names the lines it comes from, and adds up.
    if (amount < refundableMinor(order) && items.length === 0)
      return invalid('PRODUCTS_CODES missing or format incorrect');
    if (items.length > 0 && itemsMinor !== amount) return invalid('Invalid ORDER_AMOUNT');
    const refused = refundRefusal(order, amount, 'api');
    if (refused) return refuse(refused);
    (order.refunds ??= []).push({
      amount: fromMinorUnits(amount, order.currency),
      comment: body.comment,
      reason: body.reason,
      items: items as SandboxRefund['items'],
      via: 'api',
      status: 'pending',
      requestedAt: deps.clock().toISOString(),
    });
    if (merchants.get(order.merchantCode)?.holdRefunds) store.changed();
    else later(order, 'refund');
    res.json(true);

    function refuse(message: string) {
      res.status(400).json({ error_code: 'REFUND_NOT_ALLOWED', message });
    }
  });
  app.use('/rest/6.0', rest);

  // ---- Control API and page ---------------------------------------------------------------------------------------
  const orderOr404 = (refNo: string, res: express.Response) => {
    const order = orders.get(refNo);
    if (!order) res.status(404).json({ error: { code: 'not_found', message: `No order ${refNo}` } });
    return order;
  };

  /** PUT /api/merchants/{code} — the service registers a sandbox merchant (and updates it). */
  app.put('/api/merchants/:code', (req, res) => {
    const b = req.body as Partial<SandboxMerchant>;
    const taxPercent = b.taxPercent ?? 0;
    if (typeof b.secretKey !== 'string' || typeof b.buyLinkSecretWord !== 'string' || typeof b.ipnUrl !== 'string') {
      res
        .status(400)
        .json({ error: { code: 'invalid_request', message: 'secretKey, buyLinkSecretWord and ipnUrl are required' } });
      return;
    }
    if (typeof taxPercent !== 'number' || !(taxPercent >= 0 && taxPercent <= 100)) {
      res.status(400).json({ error: { code: 'invalid_request', message: 'taxPercent is a number from 0 to 100' } });
      return;
    }
    const plan = readPlan(b.plan);
    const payoutCurrency = b.payoutCurrency ?? DEFAULT_PAYOUT_CURRENCY;
    const problem =
      plan === null
        ? 'plan is { percent, fixedUsd }, decimal strings'
        : typeof payoutCurrency !== 'string'
          ? 'payoutCurrency is a currency code'
          : planProblem(plan, payoutCurrency);
    if (problem !== undefined) {
      res.status(400).json({ error: { code: 'invalid_request', message: problem } });
      return;
    }
    const merchant: SandboxMerchant = {
      merchantCode: req.params.code,
      name: typeof b.name === 'string' ? b.name : req.params.code,
      secretKey: b.secretKey,
      buyLinkSecretWord: b.buyLinkSecretWord,
      ipnUrl: b.ipnUrl,
      dropIpns: b.dropIpns === true,
      holdRefunds: b.holdRefunds === true,
      taxPercent,
      plan: plan!,
      payoutCurrency,
    };
    merchants.set(merchant.merchantCode, merchant);
    store.changed();
    res.json({
      merchantCode: merchant.merchantCode,
      ipnUrl: merchant.ipnUrl,
      dropIpns: merchant.dropIpns,
      holdRefunds: merchant.holdRefunds,
      taxPercent: merchant.taxPercent,
      plan: merchant.plan,
      payoutCurrency: merchant.payoutCurrency,
    });
  });

  /** GET /api/fx-rates — the fixed rates and fees the sandbox computes IPN_COMMISSION and PAYABLE_AMOUNT with. */
  app.get('/api/fx-rates', (_req, res) => {
    res.json({ usdPerUnit: USD_PER_UNIT, fxMarkupPercent: FX_MARKUP_PERCENT, defaultPlan: DEFAULT_PLAN });
  });

  app.get('/api/orders', (_req, res) => {
    res.json({ data: [...orders.values()].map((o) => orderJson(o, clock)) });
  });
  app.get('/api/ipn-deliveries', (req, res) => {
    const refNo = typeof req.query.refNo === 'string' ? req.query.refNo : undefined;
    res.json({ data: sender.deliveries.filter((d) => refNo === undefined || d.refNo === refNo) });
  });

  const actions: Record<string, (order: SandboxOrder, body: Record<string, unknown>) => string | undefined> = {
    /** A refund made in the Control Panel: approved at once, by the same rules as the API's. */
    refund(order, body) {
      let amount: number;
      try {
        amount =
          typeof body.amount === 'string' && body.amount !== ''
            ? toMinorUnits(body.amount, order.currency)
            : refundableMinor(order);
      } catch {
        return 'amount is not a decimal amount in the order currency';
      }
      const refused = refundRefusal(order, amount, 'control');
      if (refused) return refused;
      (order.refunds ??= []).push({
        amount: fromMinorUnits(amount, order.currency),
        comment: typeof body.comment === 'string' ? body.comment : '',
        reason: 'Other',
        items: [],
        via: 'control',
        status: 'approved',
        requestedAt: deps.clock().toISOString(),
      });
      refunded(order, amount);
      return undefined;
    },
    /** 2Checkout approves the refund pending on the order now (a held refund, or one before its settle delay). */
    'approve-refund'(order) {
      if (!(order.refunds ?? []).some((r) => r.status === 'pending')) return 'no refund of this order is pending';
      if (order.next === 'refund') later(order, null);
      approveRefund(order);
      return undefined;
    },
    reverse(order) {
      if (!['PENDING', 'AUTHRECEIVED', 'COMPLETE'].includes(order.status))
        return `a ${order.status} order cannot be reversed`;
      order.status = 'REVERSED';
      order.next = null;
      // the canceled amount, negative (IRN documentation)
      emit(order, { orderStatus: 'REVERSED', totalOverride: `-${order.grossPrice}` });
      return undefined;
    },
    chargeback(order, body) {
      const resolution = body.resolution as ChargebackResolution;
      if (!['OPEN', 'WON', 'LOST', 'ACCEPTED'].includes(resolution))
        return 'resolution must be OPEN, WON, LOST or ACCEPTED';
      order.chargeback = resolution;
      emit(order, { orderStatus: 'COMPLETE' });
      return undefined;
    },
  };
  app.post('/api/orders/:refNo/:action', (req, res) => {
    const order = orderOr404(req.params.refNo, res);
    if (!order) return;
    const action = actions[req.params.action];
    if (!action) {
      res.status(404).json({ error: { code: 'not_found', message: `No action ${req.params.action}` } });
      return;
    }
    const refused = action(order, (req.body ?? {}) as Record<string, unknown>);
    if (refused) res.status(409).json({ error: { code: 'refused', message: refused } });
    else if (req.is('application/x-www-form-urlencoded')) res.redirect(303, '/');
    else res.json(orderJson(order, clock));
  });
  /** As the Control Panel's resend: the same message (MESSAGE_ID), dated now, signed again; a new series of attempts. */
  app.post('/api/ipn-deliveries/:id/resend', (req, res) => {
    const original = sender.deliveries.find((d) => d.id === Number(req.params.id));
    const order = original && orders.get(original.refNo);
    const merchant = order && merchants.get(order.merchantCode);
    if (!original || !order || !merchant) {
      res.status(404).json({ error: { code: 'not_found', message: 'No such IPN' } });
      return;
    }
    const fields = resentIpnFields(parseIpn(Buffer.from(original.body)).fields, merchant, nextIpnAt(order), clock);
    const d = deliver(merchant, order, fields, false);
    if (req.is('application/x-www-form-urlencoded')) res.redirect(303, '/');
    else res.json(d);
  });

  app.get('/', (_req, res) => {
    const orderRows = [...orders.values()]
      .reverse()
      .map(
        (
          o,
        ) => `<tr><td>${esc(o.refNo)}</td><td>${esc(o.externalReference)}</td><td>${esc(o.grossPrice)} ${esc(o.currency)}</td>
<td>${esc(o.status)} / ${esc(o.approveStatus)}${o.chargeback !== 'NONE' ? ` / chargeback ${o.chargeback}` : ''}</td><td>${esc(o.refundedPrice)}${(
          o.refunds ?? []
        )
          .filter((r) => r.status === 'pending')
          .map(
            (r) =>
              ` (${esc(r.amount)} pending <form method="post" action="/api/orders/${esc(o.refNo)}/approve-refund" style="display:inline"><button>Approve</button></form>)`,
          )
          .join('')}</td>
<td><form method="post" action="/api/orders/${esc(o.refNo)}/refund" style="display:inline"><input name="amount" size="6" placeholder="all"><button>Refund</button></form>
<form method="post" action="/api/orders/${esc(o.refNo)}/reverse" style="display:inline"><button>Reverse</button></form>
${['OPEN', 'WON', 'LOST'].map((r) => `<form method="post" action="/api/orders/${esc(o.refNo)}/chargeback" style="display:inline"><input type="hidden" name="resolution" value="${r}"><button>Chargeback ${r}</button></form>`).join('')}</td></tr>`,
      )
      .join('');
    const deliveryRows = [...sender.deliveries]
      .reverse()
      .map((d) => {
        const last = d.attempts[d.attempts.length - 1];
        return `<tr><td>${d.id}</td><td>${esc(d.refNo)}</td><td>${esc(d.orderStatus)}</td><td>${esc(d.ipnDate)}</td><td>${d.state}</td>
<td>${d.attempts.length}</td><td>${last ? esc(last.receiptOk ? 'receipt OK' : (last.error ?? '')) : ''}</td>
<td><form method="post" action="/api/ipn-deliveries/${d.id}/resend"><button>Resend</button></form></td></tr>`;
      })
      .join('');
    res.type('html').send(
      layout(
        'Control',
        `<h1>Sandbox control</h1><p>Merchants: ${[...merchants.values()].map((m) => esc(`${m.name} (${m.merchantCode}) → ${m.ipnUrl}; plan ${planText(m.plan ?? DEFAULT_PLAN)}, paid out in ${m.payoutCurrency ?? DEFAULT_PAYOUT_CURRENCY}`)).join('; ') || 'none'}</p>
<h2>Orders</h2><table><thead><tr><th>RefNo</th><th>External ref</th><th>Total</th><th>Status</th><th>Refunded</th><th></th></tr></thead><tbody>${orderRows}</tbody></table>
<h2>Exchange rates</h2><p id="fx-rates">Fixed, in USD per unit: ${esc(ratesText)}. Converting to another payout currency costs ${esc(FX_MARKUP_PERCENT)}% (FX_MARKUP); the fixed fee is converted to the order currency at these rates. Default plan: ${esc(planText(DEFAULT_PLAN))}, paid out in ${DEFAULT_PAYOUT_CURRENCY}.</p>
<h2>IPN deliveries</h2><table><thead><tr><th>#</th><th>RefNo</th><th>ORDERSTATUS</th><th>IPN_DATE</th><th>State</th><th>Attempts</th><th>Last verdict</th><th></th></tr></thead><tbody>${deliveryRows}</tbody></table>`,
      ),
    );
  });

  return {
    app,
    merchants,
    orders,
    deliveries: sender.deliveries,
    /** Stops its timers and writes its state file. */
    stop() {
      sender.stop();
      for (const t of timers) clearTimeout(t);
      store.flush();
    },
  };
}

export type Sandbox = ReturnType<typeof createSandbox>;

/** Refunds through the REST API: within 3 months of the order (2Checkout's "Refunding an order"). */
const REFUND_PERIOD_MS = 90 * 86_400_000;
/** 2Checkout's default refund reasons (its modules send `Other`); an account may add its own in the Control Panel. */
const REFUND_REASONS = ['Other', 'Cancellation', 'Duplicate purchase', 'No reason'];

/** What is left to refund of an order, tax included. */
function refundableMinor(order: SandboxOrder): number {
  return toMinorUnits(order.grossPrice, order.currency) - toMinorUnits(order.refundedPrice, order.currency);
}

/** A plan from the request body: absent is the default; numbers are read as the decimals they print as. */
function readPlan(value: unknown): SandboxPlan | null {
  if (value === undefined) return DEFAULT_PLAN;
  if (typeof value !== 'object' || value === null) return null;
  const { percent, fixedUsd } = value as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'number' ? String(v) : typeof v === 'string' ? v : null);
  const p = text(percent);
  const f = text(fixedUsd);
  return p === null || f === null ? null : { percent: p, fixedUsd: f };
}

const planText = (plan: SandboxPlan) => `${plan.percent}% + ${plan.fixedUsd} USD per sale`;
const ratesText = Object.entries(USD_PER_UNIT)
  .map(([currency, rate]) => `${currency} ${rate}`)
  .join(' · ');

/** `GET /orders/` search parameters, as REST API 6.0 documents them. */
function readOrderSearch(query: express.Request['query'], now: Date, clock: ReturnType<typeof serverClock>) {
  const one = (name: string) => (typeof query[name] === 'string' ? query[name] : undefined);
  const ymd = /^\d{4}-\d{2}-\d{2}$/;
  const startDate = one('StartDate');
  const endDate = one('EndDate');
  const newer = one('Newer');
  for (const [name, v] of [
    ['StartDate', startDate],
    ['EndDate', endDate],
  ] as const)
    if (v !== undefined && !ymd.test(v)) return { error: `${name} must be a date in the format Y-m-d` };
  let from: string;
  if (startDate !== undefined)
    from = startDate; // "Will overwrite Newer if provided."
  else if (newer !== undefined) {
    const at = /^\d+$/.test(newer) ? new Date(Number(newer) * 1000) : new Date(newer.replace(' ', 'T') + 'Z');
    if (Number.isNaN(at.getTime())) return { error: 'Newer must be a timestamp' };
    from = clock.date(at);
  } else from = clock.date(new Date(now.getTime() - 7 * 86_400_000)); // "by default the data for last 7 days"
  const tests = one('IncludeTestOrders') ?? 'NO';
  if (!['YES', 'NO', 'ONLY'].includes(tests)) return { error: 'IncludeTestOrders must be YES, NO or ONLY' };
  const page = Number(one('Page') ?? '1');
  const limit = Number(one('Limit') ?? '10');
  if (!Number.isInteger(page) || page < 1 || !Number.isInteger(limit) || limit < 1 || limit > 200)
    return { error: 'Page is a positive integer and Limit an integer from 1 to 200' };
  return { externalRefNo: one('ExternalRefNo'), from, to: endDate, tests: tests as 'YES' | 'NO' | 'ONLY', page, limit };
}
