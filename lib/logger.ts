import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, stdTimeFunctions, type DestinationStream, type Level, type Logger } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Field names never written to a log, whatever object they sit in: credentials (ours, the merchants' 2Checkout
 * secrets, webhook signing secrets) and card data (the sandbox checkout posts `card`, `expiry`, `cvv`).
 */
export const SECRET_FIELDS = [
  'authorization',
  'cookie',
  'set-cookie',
  'x-avangate-authentication',
  'apiKey',
  'adminToken',
  'secretKey',
  'secretsKey',
  'secretsKeyring',
  'sessionSecret',
  'buyLinkSecretWord',
  'secretWord',
  'webhookSecret',
  'signingSecret',
  'password',
  'token',
  'accessToken',
  'card',
  'cardNumber',
  'pan',
  'cvv',
  'cvc',
  'cvv2',
  'expiry',
  'expiryDate',
  'expirationDate',
  'expMonth',
  'expYear',
] as const;

const SECRET_NAMES = new Set(SECRET_FIELDS.map((f) => f.toLowerCase()));

// pino's redaction takes exact paths (no deep wildcard), so each name is listed at every depth up to four: a log
// call's own fields, and request headers (`req.headers.authorization`) or nested settings (`body.twocheckout.secretKey`).
const key = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `["${name}"]`);
export const REDACT_PATHS = SECRET_FIELDS.flatMap((name) =>
  ['', '*', '*.*', '*.*.*', '*.*.*.*'].map((prefix) =>
    prefix ? `${prefix}${key(name)}` : key(name).replace(/^\./, ''),
  ),
);

/** One JSON object per line, with an ISO time and a level name; secrets and card data replaced by `[redacted]`. */
export function createLogger(opts: { name: string; level?: LogLevel; destination?: DestinationStream }): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: stdTimeFunctions.isoTime,
    },
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/**
 * The `log(message, fields)` the api's code calls, backed by a pino logger. A line carrying an `error` field is a
 * warning (something failed and was handled); anything else is information.
 */
export function logFunction(logger: Logger): (message: string, fields?: Record<string, unknown>) => void {
  return (message, fields = {}) => {
    const level: Level = fields.error !== undefined ? 'warn' : 'info';
    logger[level](fields, message);
  };
}

/** A URL with the values of secret-looking query parameters replaced, so a card in a query string is not logged. */
export function scrubUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const name of new Set(params.keys())) {
    if (SECRET_NAMES.has(name.toLowerCase())) {
      params.set(name, '[redacted]');
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}

/**
 * The request's id: the caller's X-Request-Id when it is a plain token, else a new UUID. Set once (on `req.id`, where
 * pino-http's lines take it from) and sent back in X-Request-Id; error bodies carry it as `requestId`.
 */
export function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  if (typeof req.id === 'string') return req.id;
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  req.id = id;
  return id;
}

/** Middleware: every answer carries X-Request-Id, logged or not. */
export function requestIds(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  requestIdOf(req, res);
  next();
}

/**
 * Express middleware logging one line per request when it is answered: method, URL (secret query values scrubbed),
 * status, time, headers (credentials redacted by the logger). Never a body: bodies carry secrets and card data.
 */
export function requestLogger(logger: Logger, opts: { ignore?: readonly string[] } = {}): HttpLogger {
  const ignored = new Set(opts.ignore ?? []);
  return pinoHttp({
    logger,
    autoLogging: { ignore: (req) => ignored.has((req.url ?? '').split('?')[0]!) },
    genReqId: requestIdOf,
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    serializers: {
      req: (req: { id: unknown; method: string; url: string; headers: unknown; remoteAddress: string }) => ({
        id: req.id,
        method: req.method,
        url: scrubUrl(req.url),
        remoteAddress: req.remoteAddress,
        headers: req.headers,
      }),
    },
  });
}
