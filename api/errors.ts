import type { ErrorRequestHandler, Request, Response } from 'express';
import { z } from 'zod';
import { requestIdOf } from '../lib/logger';
import {
  ERROR_CODES,
  errorDocUrl,
  SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS,
  type ErrorCode,
  type ErrorStatus,
} from './error-codes';

/** One problem with one field: `field` is a dotted path (`items.0.price`), `body` for the body as a whole. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * An error the client can act on: a code of api/error-codes.ts (stable across versions) with one of that code's
 * statuses (the types refuse any other), and optionally the field it is about.
 */
export class HttpError<C extends ErrorCode = ErrorCode> extends Error {
  /** The HTTP status: one of the code's (typed so at the call, a plain number once made). */
  readonly status: number;

  constructor(
    status: ErrorStatus<C>,
    readonly code: C,
    message: string,
    readonly details: { param?: string; errors?: FieldError[] } = {},
  ) {
    super(message);
    this.status = status;
    this.name = 'HttpError';
    // The types check this where the code is a literal; a code computed at run time is checked here.
    if (!(ERROR_CODES[code]?.status as readonly number[] | undefined)?.includes(status))
      throw new TypeError(`HttpError: ${String(code)} does not come with status ${status} (api/error-codes.ts)`);
  }
}

/** A 400 about one field of the request, shaped as a validation error of that field. */
export const invalidField = (field: string, message: string) =>
  new HttpError(400, 'invalid_request', `${field}: ${message}`, { param: field, errors: [{ field, message }] });

export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`);

/** A `sandbox` merchant where the deployment does not enable the sandbox (SANDBOX_ENABLED). */
export const sandboxDisabled = () =>
  new HttpError(
    422,
    'sandbox_disabled',
    'The 2Checkout sandbox is disabled in this deployment: merchants here use environment "live"',
  );

/** A zod error's issues, one per field, with the path dotted. */
export function fieldErrors(err: z.ZodError): FieldError[] {
  return flatIssues(err.issues, []).map((i) => ({ field: i.path.map(String).join('.') || 'body', message: i.message }));
}

/**
 * A union of objects that failed (an invoice of a product or of items) is told by the issues of the alternative that
 * came closest, so that `metadata.a: expected string` is said rather than a bare "Invalid input". A union of plain
 * values (a date or a date-time) keeps its own message.
 */
function flatIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: PropertyKey[],
): { path: PropertyKey[]; message: string }[] {
  return issues.flatMap((i) => {
    const path = [...prefix, ...i.path];
    if (i.code === 'invalid_union' && i.errors.length > 0) {
      const closest = i.errors.reduce((a, b) => (b.length < a.length ? b : a));
      if (closest.length > 0 && closest.every((c) => c.path.length > 0)) return flatIssues(closest, path);
    }
    return [{ path, message: i.message }];
  });
}

/** What a request failed on, as an HttpError: the cases below are the only errors not thrown as one. */
function asHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof z.ZodError) {
    const errors = fieldErrors(err);
    const message = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    return new HttpError(400, 'invalid_request', message, { param: errors[0]?.field, errors });
  }
  // body-parser's errors (express.json, express.raw) and Express's own (a path parameter it cannot decode).
  const status = (err as { status?: unknown }).status;
  const type = (err as { type?: unknown }).type;
  if (type === 'entity.too.large') return new HttpError(413, 'payload_too_large', 'Request body too large');
  if (type === 'entity.parse.failed') return new HttpError(400, 'invalid_json', 'Request body is not valid JSON');
  if (status === 415) return new HttpError(415, 'bad_request', 'Unsupported charset or content encoding');
  if (typeof status === 'number' && status >= 400 && status < 500)
    return new HttpError(400, 'bad_request', 'Bad request');
  return undefined;
}

/**
 * The answer to an error, `{ error: { code, message, param?, errors?, docUrl, requestId } }`: `docUrl` is the code's
 * entry on GET /docs/errors, `requestId` the id in X-Request-Id and in the log lines. 429 and 503 say when to retry.
 */
function sendError(req: Request, res: Response, err: HttpError, publicUrl: string) {
  if (err.status === 503 && !res.hasHeader('Retry-After'))
    res.set('Retry-After', String(SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS));
  if (err.status === 429 && !res.hasHeader('Retry-After')) res.set('Retry-After', '60');
  const { param, errors } = err.details;
  res.status(err.status).json({
    error: {
      code: err.code,
      message: err.message,
      ...(param !== undefined && { param }),
      ...(errors && { errors }),
      docUrl: errorDocUrl(publicUrl, err.code),
      requestId: requestIdOf(req, res),
    },
  });
}

/**
 * The one place every error of the API is answered (rate limits and unknown paths are passed here too). Unknown
 * errors are 500 and say nothing inside. `publicUrl` is read at each error: tests set it after the app is made.
 */
export function errorHandler(log: (err: unknown) => void, publicUrl: () => string): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const known = asHttpError(err);
    if (known) return sendError(req, res, known, publicUrl());
    log(err);
    // PostgreSQL refused a value (class 22, "data exception": out of range, malformed, NUL in text). Only a request's
    // value can do that, since ours are made well, so the request gets a 4xx; the line above still shows it, since a
    // check is missing in front of the query.
    const sqlState = (err as { code?: unknown }).code;
    const answer =
      typeof sqlState === 'string' && /^22[0-9A-Z]{3}$/.test(sqlState)
        ? new HttpError(400, 'invalid_request', 'A value in the request is out of range')
        : new HttpError(500, 'internal', 'Internal error');
    sendError(req, res, answer, publicUrl());
  };
}
