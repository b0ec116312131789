import type { oas31 } from 'zod-openapi';
import { ERROR_CODE_NAMES, ERROR_CODES, type ErrorCode } from './error-codes';

/** The OpenAPI extension on an error response listing the codes it comes with (read by tests and by tools). */
export const CODES_KEY = 'x-error-codes';

/** The registered codes a description names in backticks (`not_found`), in the registry's order. */
export const codesNamedIn = (description: string): ErrorCode[] =>
  ERROR_CODE_NAMES.filter((code) => description.includes(`\`${code}\``));

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const ERROR_REF = '#/components/schemas/Error';

const headerOf = (description: string): oas31.HeaderObject => ({ description, schema: { type: 'string' } });

/**
 * Completes the error responses of every operation with what any operation of its kind can answer, whatever its
 * own code does, because api/app.ts and api/errors.ts answer them around the handlers: any operation a 500
 * (`internal`); /v1 ones a 429 (`rate_limited`: the wrong-key limit holds every /v1 request); a JSON body
 * `invalid_json`, `bad_request` (unreadable charset or encoding) and `payload_too_large`; a path parameter
 * `bad_request` (an escape that does not decode); a /v1 parameter `invalid_request`. Then every error response gets
 * the X-Request-Id header, and 429 and 503 `Retry-After`.
 */
export function withErrorCodes(document: oas31.OpenAPIObject): oas31.OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op?.responses) continue;
      const responses = op.responses as Record<string, oas31.ResponseObject>;
      const add = (status: number, codes: ErrorCode[], description: string) => {
        const listed = (responses[status] ??= {
          description,
          [CODES_KEY]: [],
          content: { 'application/json': { schema: { $ref: ERROR_REF } } },
        });
        const known = listed[CODES_KEY] as ErrorCode[] | undefined;
        if (!known) return; // an answer that is not a JSON error (a page, a plain-text refusal to 2Checkout)
        const more = codes.filter((code) => !known.includes(code));
        if (more.length === 0) return;
        known.push(...more);
        if (known.length > more.length) listed.description += `; also ${more.map((c) => `\`${c}\``).join(', ')}`;
      };
      const params = (op.parameters ?? []) as oas31.ParameterObject[];
      const v1 = path.startsWith('/v1/');
      const body = (op.requestBody as oas31.RequestBodyObject | undefined)?.content?.['application/json'];
      if (body) {
        add(
          400,
          ['invalid_request', 'invalid_json', 'bad_request'],
          'The body is invalid (`invalid_request`), not JSON (`invalid_json`) or cannot be read (`bad_request`)',
        );
        add(413, ['payload_too_large'], 'The body is larger than 100 KB (`payload_too_large`)');
        add(415, ['bad_request'], 'An unsupported charset or content encoding (`bad_request`)');
      }
      if (params.some((p) => p.in === 'path'))
        add(400, ['bad_request'], 'A path parameter does not decode (`bad_request`)');
      if (v1 && params.length > 0) add(400, ['invalid_request'], 'A parameter is invalid (`invalid_request`)');
      if (v1) add(429, ['rate_limited'], 'Too many 401s from this address (`rate_limited`); `Retry-After` says when');
      add(500, ['internal'], 'Unexpected failure (`internal`); nothing inside is told');

      for (const [status, response] of Object.entries(responses)) {
        if (!response[CODES_KEY]) continue;
        response.headers = {
          ...response.headers,
          'X-Request-Id': headerOf('The request’s id, as in the body’s `requestId`'),
          ...((status === '429' || status === '503') && {
            'Retry-After': headerOf('Seconds to wait before trying again'),
          }),
        };
      }
    }
  }
  return document;
}

/** Every code an operation of the document lists, by status: for the tests that compare it with the registry. */
export function listedCodes(document: oas31.OpenAPIObject): { operation: string; status: number; code: string }[] {
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    METHODS.flatMap((method) =>
      Object.entries((item[method]?.responses ?? {}) as Record<string, oas31.ResponseObject>).flatMap(
        ([status, response]) =>
          ((response[CODES_KEY] as string[] | undefined) ?? []).map((code) => ({
            operation: `${method.toUpperCase()} ${path}`,
            status: Number(status),
            code,
          })),
      ),
    ),
  );
}

/** Whether a code may come with a status, as the registry says. */
export const registered = (code: string, status: number) =>
  (ERROR_CODES[code as ErrorCode]?.status as readonly number[] | undefined)?.includes(status) ?? false;
