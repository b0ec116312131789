import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { escapeHtml as esc } from '../lib/html';
import type { ApiConfig } from './config';
import { document } from './dashboard-pages';
import { HttpError } from './errors';
import { localeOf, pageLanguage } from './i18n';

const MINUTE_MS = 60_000;

/**
 * Security headers on every answer (helmet). The dashboard and the buyer's pages run no script at all, so the policy
 * allows none; styles only from this origin's stylesheet files (api/assets.ts: no inline style, no style attribute),
 * images from here and the `data:` icons inside those stylesheets; /docs (Swagger UI) sets its own, looser policy in
 * routes/docs.ts. No page may be framed (clickjacking), no type sniffed, no Referer sent.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/** `Cache-Control: no-store`: answers carrying the API key, the webhook secret or buyers' personal data. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

/** How a refusal is worded for the caller: `seconds` until the window resets (also in `Retry-After`). */
type Refuse = (req: Request, res: Response, seconds: number, next: NextFunction) => void;

/** A 429 as the /v1 API answers errors: handed to api/errors.ts, which words every error of the API. */
export const refuseJson =
  (what: string): Refuse =>
  (_req, _res, seconds, next) =>
    next(new HttpError(429, 'rate_limited', `${what}: try again in ${seconds} seconds`));

/** A 429 as a page, for a person in a browser, in their language (locales/<language>/public.json, `tooMany`). */
export const refuseHtml =
  (what: 'perClient' | 'perProduct'): Refuse =>
  (req, res, seconds) => {
    const ctx = { ...localeOf(pageLanguage(req)), path: req.originalUrl };
    const title = ctx.t('public:tooMany.title');
    const text = ctx.t(`public:tooMany.${what}`, { seconds });
    res
      .status(429)
      .type('html')
      .send(document(ctx, title, `<main><h1>${esc(title)}</h1><p>${esc(text)}</p></main>`));
  };

/** A 429 in plain text, for a machine that only looks at the status (2Checkout retries any answer but a receipt). */
export const refuseText =
  (what: string): Refuse =>
  (_req, res, seconds) =>
    void res.status(429).type('text').send(`${what}: try again in ${seconds} seconds`);

/**
 * One rate limit (express-rate-limit, in this process's memory: each api replica counts on its own). Over the limit,
 * `refuse` answers 429 with `Retry-After`; `counts` says which answers are counted (default: all).
 */
function limiter(o: {
  windowMs: number;
  limit: number;
  refuse: Refuse;
  key?: (req: Request) => string;
  counts?: (res: Response) => boolean;
}): RequestHandler {
  return rateLimit({
    windowMs: o.windowMs,
    limit: o.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    ...(o.key && { keyGenerator: o.key }),
    // An answer that does not count is taken back once it is sent (so, while in flight, it counts).
    ...(o.counts && { skipSuccessfulRequests: true, requestWasSuccessful: (_req, res) => !o.counts!(res) }),
    handler: (req, res, next) => o.refuse(req, res, Number(res.getHeader('Retry-After') ?? 60), next),
  });
}

/** A path parameter as a limiter key: bounded, so a long made-up id cannot grow the store. */
const param = (req: Request, name: string) => String(req.params[name] ?? '').slice(0, 100);

/** The api's rate limits (README "Security"); made once per app, so each app (and each test) counts on its own. */
export function rateLimits(limits: ApiConfig['rateLimits']) {
  return {
    /** An order link's GET makes an invoice and a workflow: per client IP. */
    orderLinkPerClient: limiter({
      windowMs: MINUTE_MS,
      limit: limits.orderLinkPerClient,
      refuse: refuseHtml('perClient'),
    }),
    /** …and per product, whoever asks. */
    orderLinkPerProduct: limiter({
      windowMs: MINUTE_MS,
      limit: limits.orderLinkPerProduct,
      key: (req) => `product:${param(req, 'productId')}`,
      refuse: refuseHtml('perProduct'),
    }),
    /** Dashboard sign-ins that failed, per client IP. */
    dashboardLogin: (refuse: Refuse) =>
      limiter({
        windowMs: 15 * MINUTE_MS,
        limit: limits.dashboardLogin,
        counts: (res) => res.statusCode >= 400,
        refuse,
      }),
    /** /v1 requests answered 401 (a wrong API key or admin token), per client IP; over it, every /v1 request waits. */
    badApiKey: limiter({
      windowMs: 15 * MINUTE_MS,
      limit: limits.badApiKey,
      counts: (res) => res.statusCode === 401,
      refuse: refuseJson('Too many requests with a wrong API key from this address'),
    }),
    /** IPN POSTs per merchant id (2Checkout sends every merchant's from the same few addresses). */
    ipnPerMerchant: limiter({
      windowMs: MINUTE_MS,
      limit: limits.ipnPerMerchant,
      key: (req) => `merchant:${param(req, 'merchantId')}`,
      refuse: refuseText('Too many IPNs for this merchant'),
    }),
  };
}

export type RateLimits = ReturnType<typeof rateLimits>;
