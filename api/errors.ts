import type { ErrorRequestHandler } from 'express';
import { z } from 'zod';

/** An error the client can act on: a string code (stable across versions) and an HTTP status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`);

/** A `sandbox` merchant where the deployment does not enable the sandbox (SANDBOX_ENABLED). */
export const sandboxDisabled = () =>
  new HttpError(
    422,
    'sandbox_disabled',
    'The 2Checkout sandbox is disabled in this deployment: merchants here use environment "live"',
  );

/** One place maps errors to `{ error: { code, message } }`. Unknown errors are 500 and say nothing inside. */
export function errorHandler(log: (err: unknown) => void): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (err instanceof z.ZodError) {
      const message = err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      res.status(400).json({ error: { code: 'invalid_request', message } });
      return;
    }
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message } });
      return;
    }
    const status = (err as { status?: unknown }).status;
    const type = (err as { type?: unknown }).type;
    if (type === 'entity.too.large') {
      res.status(413).json({ error: { code: 'payload_too_large', message: 'Request body too large' } });
      return;
    }
    if (type === 'entity.parse.failed') {
      res.status(400).json({ error: { code: 'invalid_json', message: 'Request body is not valid JSON' } });
      return;
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: { code: 'bad_request', message: 'Bad request' } });
      return;
    }
    log(err);
    // PostgreSQL refused a value (class 22, "data exception": out of range, malformed, NUL in text). Only a request's
    // value can do that, since ours are made well, so the request gets a 4xx; the line above still shows it, since a
    // check is missing in front of the query.
    const sqlState = (err as { code?: unknown }).code;
    if (typeof sqlState === 'string' && /^22[0-9A-Z]{3}$/.test(sqlState)) {
      res.status(400).json({ error: { code: 'invalid_request', message: 'A value in the request is out of range' } });
      return;
    }
    res.status(500).json({ error: { code: 'internal', message: 'Internal error' } });
  };
}
