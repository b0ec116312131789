/**
 * Every error code the HTTP API can answer, with the status it comes with, when it happens and what the caller
 * should do. The one list: HttpError takes only these codes (and, for each, only its statuses), the OpenAPI `Error`
 * schema enumerates them, and GET /docs/errors (each answer's `docUrl`) renders them. Codes are stable across
 * versions; messages are for people and may change. test/unit/error-codes.test.ts checks the source, this list and
 * the OpenAPI document against each other.
 */
export const ERROR_CODES = {
  invalid_request: {
    status: [400],
    when: 'A field, query parameter, path parameter or header is missing or invalid. `errors` lists every problem found (`field` is a dotted path such as `items.0.price`, or `body` for the body as a whole) and `param` names the first.',
    action: 'Fix the request as the message and `errors` say; retrying it unchanged gives the same answer.',
  },
  invalid_json: {
    status: [400],
    when: 'The body is not valid JSON.',
    action: 'Send a JSON body with `Content-Type: application/json`.',
  },
  bad_request: {
    status: [400, 415],
    when: 'The request could not be read: an unsupported charset or content encoding (415), an aborted upload or a malformed URL (400).',
    action: 'Send UTF-8 JSON, without a `Content-Encoding` the API does not take, and check the URL’s escaping.',
  },
  payload_too_large: {
    status: [413],
    when: 'The body is larger than the API takes (100 KB; IPN_BODY_LIMIT for the IPN receiver).',
    action: 'Send a smaller body: fewer items, shorter texts.',
  },
  unauthorized: {
    status: [401],
    when: 'No `Authorization: Bearer` token, or an unknown, expired or revoked API key (the message says which), or not the admin token.',
    action: 'Send a working API key. An expired key was rotated: use the newer one; a revoked key is gone for good.',
  },
  merchant_disabled: {
    status: [403],
    when: 'The key is right, but the operator disabled this merchant.',
    action: 'Ask the operator to enable the merchant again; retrying does not help until then.',
  },
  not_found: {
    status: [404],
    when: 'No such object of this merchant (another merchant’s objects are not found either), or no such endpoint.',
    action: 'Check the id and the path; ids are those the API gave out.',
  },
  resend_in_progress: {
    status: [409],
    when: 'The same event was resent a moment ago.',
    action: 'Wait a second; the first resend is already on its way.',
  },
  idempotency_key_in_flight: {
    status: [409],
    when: 'A request with this `Idempotency-Key` is still being handled.',
    action: 'Retry after a moment with the same key and body: the answer is then the first request’s.',
  },
  invoice_not_cancelable: {
    status: [409],
    when: 'The invoice is not awaiting payment (a payment has begun, or it already ended).',
    action: 'Read the invoice: its `status` says where it stands. Nothing to retry.',
  },
  invoice_not_refundable: {
    status: [409],
    when: 'Only a paid (or partly refunded) invoice can be refunded.',
    action: 'Read the invoice’s `status`; refund once it is paid.',
  },
  refund_in_progress: {
    status: [409],
    when: 'Another refund of this invoice is still open: 2Checkout takes one at a time.',
    action:
      'Wait until that refund is `succeeded` or `failed` (GET the invoice’s refunds, or its webhooks), then ask again.',
  },
  too_many_api_keys: {
    status: [409],
    when: 'The merchant already has the most working API keys it may have (10).',
    action: 'Revoke a key you no longer use (DELETE /v1/merchant/api-keys/{id}), then create the new one.',
  },
  last_api_key: {
    status: [409],
    when: 'Revoking this key would leave no working key without an expiry.',
    action: 'Create a new key first (POST /v1/merchant/api-keys), then revoke this one.',
  },
  no_webhook_url: {
    status: [409],
    when: 'An event cannot be resent: the merchant has no webhook URL.',
    action: 'Set a `webhookUrl` with PATCH /v1/merchant first.',
  },
  live_mode_not_set_up: {
    status: [409],
    when: 'A live key asked for something that needs the merchant’s live 2Checkout account, and none is set up yet.',
    action: 'Set the live 2Checkout settings with a live key (PATCH /v1/merchant), or use a test key meanwhile.',
  },
  idempotency_key_reused: {
    status: [422],
    when: 'This `Idempotency-Key` was already used with a different request (another body, or another invoice).',
    action: 'Use a new key for a new request; reuse a key only to retry the very same request.',
  },
  product_inactive: {
    status: [422],
    when: 'The product is no longer sold.',
    action: 'Invoice another product, or free `items`.',
  },
  refund_exceeds_remaining: {
    status: [422],
    when: 'The amount is more than is left to refund of the invoice.',
    action: 'Ask for at most what is left (the message says how much), or leave out `amount` to refund the rest.',
  },
  sandbox_disabled: {
    status: [422],
    when: 'The 2Checkout `sandbox` environment was asked for where this deployment does not enable it.',
    action: 'Use environment `live` here, or a deployment with the sandbox enabled.',
  },
  setting_not_in_mode: {
    status: [422],
    when: 'A live key asked for the `sandbox` environment or test orders: live mode is 2Checkout itself, real orders only.',
    action: 'Change the test setup with a test key (`sk_test_…`); the live setup takes 2Checkout credentials only.',
  },
  rate_limited: {
    status: [429],
    when: 'Too many requests of one kind from this client (for the API: too many with a wrong API key).',
    action: 'Wait the seconds `Retry-After` says, then try again; fix the key if it is wrong.',
  },
  internal: {
    status: [500],
    when: 'An unexpected failure on our side (a bug); nothing inside is told.',
    action: 'Retry later, with the same `Idempotency-Key` where there is one; report the `requestId` if it persists.',
  },
  service_unavailable: {
    status: [503],
    when: 'A service the API needs could not be reached just now. Where the request made something (an invoice, a refund), it is recorded and finished on retry.',
    action: 'Retry after the seconds `Retry-After` says, with the same `Idempotency-Key`.',
  },
} as const satisfies Record<string, { status: readonly number[]; when: string; action: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The statuses a code may come with. */
export type ErrorStatus<C extends ErrorCode> = (typeof ERROR_CODES)[C]['status'][number];

export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** How long a 503 asks the caller to wait before retrying (`Retry-After`, seconds): long enough for a reconnect. */
export const SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** Where a code is documented: the page GET /docs/errors, at the code's anchor. */
/** The codes as a Markdown table: in the OpenAPI `Error` schema and in docs/conventions.md (npm run docs). */
export function errorCodesTable(): string {
  const rows = Object.entries(ERROR_CODES).map(
    ([code, e]) => `| \`${code}\` | ${e.status.join(', ')} | ${e.when.replace(/\|/g, '\\|')} | ${e.action} |`,
  );
  return ['| code | status | when | what to do |', '|---|---|---|---|', ...rows].join('\n');
}

export const errorDocUrl = (publicUrl: string, code: ErrorCode) => `${publicUrl}/docs/errors#${code}`;
