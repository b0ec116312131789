import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import {
  apiKeyListResponse,
  apiKeyParams,
  apiKeyResponse,
  cancelInvoiceBody,
  createdApiKeyResponse,
  disableMerchantBody,
  merchantAccessResponse,
  merchantParams,
  replacedApiKeysResponse,
  rotateApiKeyBody,
  createInvoiceBody,
  createMerchantBody,
  createRefundBody,
  refundListResponse,
  refundResponse,
  createProductBody,
  createdMerchantResponse,
  errorResponse,
  invoiceDetailResponse,
  invoiceListResponse,
  invoiceResponse,
  ipnEventListResponse,
  listInvoicesQuery,
  listIpnEventsQuery,
  listProductsQuery,
  listRefundsQuery,
  merchantResponse,
  patchMerchantBody,
  settingsChangeListResponse,
  productListResponse,
  productResponse,
  listWebhookDeliveriesQuery,
  webhookDeliveryListResponse,
  webhookEventParams,
  webhookResendResponse,
  eventEnvelopeSchema,
  eventListResponse,
  eventParams,
  eventResponse,
  listEventsQuery,
} from './schemas';
import type { ErrorCode } from './error-codes';
import { CODES_KEY, codesNamedIn, withErrorCodes } from './openapi-errors';
import { DEFAULT_LIMIT, MAX_LIMIT } from './paging';
import { EVENT_TYPES, type EventType } from '../lib/events';

const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
/**
 * An error answer: the codes it comes with are those its description names in backticks, plus `codes`; all must be
 * in api/error-codes.ts with this status (test/unit/error-codes.test.ts). Generic ones are added by withErrorCodes.
 */
const error = (description: string, ...codes: ErrorCode[]) => {
  const unnamed = codes.filter((code) => !description.includes(`\`${code}\``));
  return {
    description: unnamed.length ? `${description} (${unnamed.map((c) => `\`${c}\``).join(', ')})` : description,
    [CODES_KEY]: [...new Set([...codesNamedIn(description), ...codes])],
    ...json(errorResponse),
  };
};
const text = (description: string, type = 'text/plain') => ({
  description,
  content: { [type]: { schema: z.string() } },
});

/** The errors every merchant endpoint can answer, besides its own. */
const merchantErrors: ZodOpenApiResponsesObject = {
  '401': error('Missing, unknown, expired or revoked API key (`unauthorized`; the message says which)'),
  '403': error('The operator disabled this merchant (`merchant_disabled`): the key is right, the account is not'),
  '429': error('Too many 401s from this address (`rate_limited`); `Retry-After` says when to try again'),
  '500': error('Unexpected failure (`internal`); nothing inside is told'),
};
const merchantOp = (op: ZodOpenApiOperationObject): ZodOpenApiOperationObject => ({
  security: [{ merchantApiKey: [] }],
  ...op,
  responses: { ...op.responses, ...merchantErrors },
});

const id = (example: string) => z.string().meta({ example });

/** How every list pages (api/paging.ts). */
const PAGING = `Paging: \`limit\` items (${DEFAULT_LIMIT} by default, ${MAX_LIMIT} at most; out of range is a 400, never clamped), newest first; while \`hasMore\` is true, pass \`nextCursor\` as \`cursor\` for the next page. Cursors are opaque and keyset-based: items created between two requests never shift a page, so nothing is skipped or shown twice. A cursor not given out by this list is a 400 \`invalid_request\`.`;

/** The Idempotency-Key rules (api/idempotency.ts; the IETF draft "The Idempotency-Key HTTP Header Field"). */
const IDEMPOTENCY_KEY_RULES =
  '1 to 255 visible ASCII characters, unique per request, e.g. a UUID. Kept 24 hours from its first use, with the first answer: a retry with the same key and the same request (method, path, body) answers exactly that answer again, status and body, with `Idempotent-Replayed: true`, whatever has changed since. The same key with another request: 422 `idempotency_key_reused`; while the first request is still being handled: 409 `idempotency_key_in_flight`. Only a success is kept: after an error (a 4xx, or a 503) the key is free again, so the corrected or repeated request may use it, and what a failed request had already recorded is finished by that retry, never made twice. After 24 hours the key is forgotten and may be used again. Keys are per merchant and mode.';
/** The header a replayed answer carries. */
const replayedHeader = {
  'Idempotent-Replayed': {
    description: 'Present, `true`, when this is the stored answer to an earlier request with the same Idempotency-Key',
    schema: { type: 'string' as const, enum: ['true'] },
  },
};

const check = z.enum(['ok', 'unavailable']);
const readiness = z
  .object({ status: check, checks: z.object({ database: check, temporal: check }) })
  .meta({ id: 'Readiness' });

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the same zod schemas that validate the requests
 * (api/schemas.ts), plus response schemas declared beside them. Served at /openapi.json.
 */
export function buildOpenApiDocument(serverUrl?: string) {
  return withErrorCodes(openApiDocument(serverUrl));
}

function openApiDocument(serverUrl?: string) {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: '2Checkout payments on Temporal',
      version: '1',
      description:
        'Invoices paid on 2Checkout (Verifone) hosted checkout, confirmed by IPN and 2Checkout’s REST API. JSON in and out; errors are `{ "error": { "code", "message", "param"?, "errors"?, "docUrl", "requestId" } }` (the `Error` schema lists every code; /docs/errors explains each). One merchant never sees another’s data (404, not 403).',
    },
    ...(serverUrl && { servers: [{ url: serverUrl }] }),
    tags: [
      { name: 'Merchants', description: 'The merchant and its 2Checkout settings' },
      { name: 'Products', description: 'Products with public order links' },
      { name: 'Invoices', description: 'One invoice per order, paid on 2Checkout' },
      { name: 'IPN', description: '2Checkout’s Instant Payment Notifications: the receiver and the log' },
      {
        name: 'Webhooks',
        description:
          'Events (see `webhooks`) POSTed to the merchant’s webhookUrl (public addresses only; https for live merchants), signed as Standard Webhooks says (https://www.standardwebhooks.com/), so its libraries verify them: `webhook-id` (the event id), `webhook-timestamp` (unix seconds), `webhook-signature: v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>">`, keyed with the base64-decoded part of the secret after `whsec_`. After a secret rotation a second `v1,…`, space-separated, made with the previous secret, follows until its overlap ends: accept the webhook if any matches. Every event is also listed by `GET /v1/events` for 30 days.',
      },
      { name: 'Buyer', description: 'Public pages the buyer passes through' },
      { name: 'Operations', description: 'Probes and metrics' },
    ],
    components: {
      securitySchemes: {
        merchantApiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'The merchant’s API key (`sk_…`), shown once when the admin creates the merchant',
        },
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN of the api process' },
      },
    },
    paths: {
      '/v1/merchants': {
        post: {
          tags: ['Merchants'],
          operationId: 'createMerchant',
          summary: 'Create a merchant (admin)',
          description:
            'Answers the merchant’s test key and live key, once each, and the IPN URL to paste into 2Checkout (one for both modes). `twocheckout` sets up one mode: the sandbox or test orders make the test setup (not live yet); 2Checkout with real orders makes the live setup, and the test setup is the same account taking test orders only. `apiKey` is the key of that mode.',
          security: [{ adminToken: [] }],
          requestBody: json(createMerchantBody),
          responses: {
            '201': { description: 'Created', ...json(createdMerchantResponse) },
            '400': error('Invalid body (`invalid_request`, `invalid_json`)'),
            '422': error('`sandbox` where this deployment does not enable it (`sandbox_disabled`)'),
            '401': error('Not the admin token (`unauthorized`)'),
            '429': error('Too many 401s from this address (`rate_limited`); `Retry-After` says when to try again'),
          },
        },
      },
      '/v1/merchants/{id}/disable': {
        post: {
          tags: ['Merchants'],
          operationId: 'disableMerchant',
          summary: 'Disable a merchant (admin)',
          description:
            'Its API keys get 403 `merchant_disabled`, its dashboard sign-in is refused and its sessions end. Its payments are not stopped: IPNs for its invoices are still received, stored and applied. Disabling again keeps the first time.',
          security: [{ adminToken: [] }],
          requestParams: { path: merchantParams },
          requestBody: { ...json(disableMerchantBody), required: false },
          responses: {
            '200': { description: 'Disabled', ...json(merchantAccessResponse) },
            '400': error('Invalid body (`invalid_request`)'),
            '401': error('Not the admin token (`unauthorized`)'),
            '404': error('No such merchant (`not_found`)'),
          },
        },
      },
      '/v1/merchants/{id}/enable': {
        post: {
          tags: ['Merchants'],
          operationId: 'enableMerchant',
          summary: 'Enable a disabled merchant again (admin)',
          description: 'Its working API keys are accepted again; its dashboard needs a new sign-in.',
          security: [{ adminToken: [] }],
          requestParams: { path: merchantParams },
          responses: {
            '200': { description: 'Enabled', ...json(merchantAccessResponse) },
            '401': error('Not the admin token (`unauthorized`)'),
            '404': error('No such merchant (`not_found`)'),
          },
        },
      },
      '/v1/merchants/{id}/api-keys/replace': {
        post: {
          tags: ['Merchants'],
          operationId: 'replaceMerchantApiKeys',
          summary: 'Revoke every API key of a merchant and make one new key (admin)',
          description:
            'For a leaked key: every key is refused at once and the dashboard sessions end; the new key, in this answer only, is for the merchant.',
          security: [{ adminToken: [] }],
          requestParams: { path: merchantParams },
          responses: {
            '200': { description: 'Replaced', ...json(replacedApiKeysResponse) },
            '401': error('Not the admin token (`unauthorized`)'),
            '404': error('No such merchant (`not_found`)'),
          },
        },
      },
      '/v1/merchant': {
        get: merchantOp({
          tags: ['Merchants'],
          operationId: 'getMerchant',
          summary: 'The calling merchant, secrets as fingerprints',
          responses: { '200': { description: 'The merchant', ...json(merchantResponse) } },
        }),
        patch: merchantOp({
          tags: ['Merchants'],
          operationId: 'updateMerchant',
          summary: 'Change the name or the 2Checkout setup of the key’s mode',
          description:
            'A test key changes the test setup (the sandbox, or 2Checkout with test orders only), a live key the live setup (2Checkout, real orders): a live key’s first `twocheckout` is going live, and leaves the test setup as it was. The name and webhook URL serve both modes; once the merchant is live, only a live key changes them. Secrets given are sealed again; a `sandbox` test setup is registered with the sandbox again. Changes are audited (`/v1/merchant/settings-changes`); invoices already made stay verified with the account they were made under.',
          requestBody: json(patchMerchantBody),
          responses: {
            '200': { description: 'The merchant as saved', ...json(merchantResponse) },
            '400': error('Invalid body, or going live without the live account’s code and secrets (`invalid_request`)'),
            '422': error(
              '`sandbox` where this deployment does not enable it (`sandbox_disabled`); the sandbox or test orders asked of live mode, real orders of test mode on 2Checkout, or the name or webhook URL changed with a test key once live (`setting_not_in_mode`)',
            ),
          },
        }),
      },
      '/v1/merchant/settings-changes': {
        get: merchantOp({
          tags: ['Merchants'],
          operationId: 'listSettingsChanges',
          summary: 'Who changed the 2Checkout settings, and when (100 at most, newest first)',
          description:
            'Merchant code, Secret Key, Buy-link Secret Word, environment, test orders and MD5 acceptance: each change with who made it (the admin, or which API key). Secrets are named, never shown.',
          responses: { '200': { description: 'The changes', ...json(settingsChangeListResponse) } },
        }),
      },
      '/v1/merchant/api-keys': {
        get: merchantOp({
          tags: ['Merchants'],
          operationId: 'listApiKeys',
          summary: 'The merchant’s API keys, newest first (never the keys themselves)',
          responses: { '200': { description: 'The keys', ...json(apiKeyListResponse) } },
        }),
        post: merchantOp({
          tags: ['Merchants'],
          operationId: 'rotateApiKey',
          summary: 'Rotate: a new API key, and the calling key expiring after an overlap',
          description:
            'The new key is in this answer only. The key this request is made with keeps working for `expireCurrentIn` seconds (default a day, at most 7 days; 0 stops it at once), so integrations switch without downtime; an expiry already nearer is kept. Audited in `/v1/merchant/settings-changes` (`apiKeys`).',
          requestBody: { ...json(rotateApiKeyBody), required: false },
          responses: {
            '201': { description: 'The new key, shown once', ...json(createdApiKeyResponse) },
            '400': error('Invalid body (`invalid_request`)'),
            '409': error('Already 10 working keys (`too_many_api_keys`): revoke one first'),
          },
        }),
      },
      '/v1/merchant/api-keys/{id}': {
        delete: merchantOp({
          tags: ['Merchants'],
          operationId: 'revokeApiKey',
          summary: 'Revoke an API key at once',
          description:
            'The key is refused from now on, and the merchant’s dashboard sessions end. The last working key without an expiry cannot be revoked: create a new one first, so the merchant is never locked out. Revoking a revoked key changes nothing.',
          requestParams: { path: apiKeyParams },
          responses: {
            '200': { description: 'The key, revoked', ...json(apiKeyResponse) },
            '400': error('Not an API key id (`invalid_request`)'),
            '404': error('No such key of this merchant (`not_found`)'),
            '409': error('The last key without an expiry (`last_api_key`)'),
          },
        }),
      },
      '/v1/products': {
        post: merchantOp({
          tags: ['Products'],
          operationId: 'createProduct',
          summary: 'Create a product',
          requestBody: json(createProductBody),
          responses: {
            '201': { description: 'Created, with its public order link', ...json(productResponse) },
            '400': error(
              'Invalid body (a price the currency cannot hold, an unknown currency, `metadata` out of bounds…)',
            ),
          },
        }),
        get: merchantOp({
          tags: ['Products'],
          operationId: 'listProducts',
          summary: 'Products, newest first, a page at a time',
          description: PAGING,
          requestParams: { query: listProductsQuery },
          responses: {
            '200': { description: 'One page', ...json(productListResponse) },
            '400': error('Invalid `limit` or `cursor` (`invalid_request`)'),
          },
        }),
      },
      '/v1/products/{id}': {
        get: merchantOp({
          tags: ['Products'],
          operationId: 'getProduct',
          summary: 'One product',
          requestParams: { path: z.object({ id: id('prd_a8c369dqagc7tgmbfe4c') }) },
          responses: {
            '200': { description: 'The product', ...json(productResponse) },
            '404': error('No such product of this merchant (`not_found`)'),
          },
        }),
      },
      '/v1/invoices': {
        post: merchantOp({
          tags: ['Invoices'],
          operationId: 'createInvoice',
          summary: 'Create an invoice with its signed checkout link',
          description:
            'Either a product (`productId`, `quantity`) or free `items` with a `currency`. The invoice’s workflow signs the 2Checkout link before the answer.',
          requestParams: {
            header: z.object({
              'Idempotency-Key': z
                .string()
                .optional()
                .meta({
                  description: `Makes retries safe: never a second invoice. ${IDEMPOTENCY_KEY_RULES}`,
                  example: 'order-1001',
                }),
            }),
          },
          requestBody: json(createInvoiceBody),
          responses: {
            '201': {
              description: 'Created (or, with `Idempotent-Replayed: true`, the first answer to this Idempotency-Key)',
              headers: replayedHeader,
              ...json(invoiceResponse),
            },
            '400': error('Invalid body or Idempotency-Key'),
            '404': error('No such product of this merchant in the key’s mode (`not_found`)'),
            '409': error(
              'A request with this Idempotency-Key is still being handled (`idempotency_key_in_flight`), or a live key before the merchant has a live setup (`live_mode_not_set_up`)',
            ),
            '422': error(
              'A product no longer sold (`product_inactive`), a `sandbox` merchant where the sandbox is disabled (`sandbox_disabled`), or the Idempotency-Key was used with another request (`idempotency_key_reused`)',
            ),
            '503': error(
              'The invoice is recorded but its workflow could not be started just now (`service_unavailable`); retry with the same Idempotency-Key after `Retry-After`',
            ),
          },
        }),
        get: merchantOp({
          tags: ['Invoices'],
          operationId: 'listInvoices',
          summary: 'Invoices, newest first, a page at a time, filtered',
          description: `Filters combine (all must hold): \`status\` (any of several), \`createdFrom\` (inclusive) and \`createdTo\` (exclusive), \`externalId\` (exact). A filter applies to every page: pass the same filters with \`cursor\`. ${PAGING}`,
          requestParams: { query: listInvoicesQuery },
          responses: {
            '200': { description: 'One page', ...json(invoiceListResponse) },
            '400': error(
              'Unknown status, a date that is not ISO 8601, `createdFrom` after `createdTo`, an invalid `limit` or `cursor` (`invalid_request`)',
            ),
          },
        }),
      },
      '/v1/invoices/{id}': {
        get: merchantOp({
          tags: ['Invoices'],
          operationId: 'getInvoice',
          summary: 'One invoice with its audit trail',
          requestParams: { path: z.object({ id: id('inv_5m3yykz32y211hc1gn0g') }) },
          responses: {
            '200': { description: 'The invoice', ...json(invoiceDetailResponse) },
            '404': error('No such invoice of this merchant (`not_found`)'),
          },
        }),
      },
      '/v1/invoices/{id}/cancel': {
        post: merchantOp({
          tags: ['Invoices'],
          operationId: 'cancelInvoice',
          summary: 'Cancel an invoice awaiting payment',
          description: 'The workflow decides (a Workflow Update): once a payment has begun it refuses.',
          requestParams: { path: z.object({ id: id('inv_5m3yykz32y211hc1gn0g') }) },
          requestBody: { ...json(cancelInvoiceBody), required: false },
          responses: {
            '200': { description: 'The canceled invoice', ...json(invoiceResponse) },
            '404': error('No such invoice of this merchant (`not_found`)'),
            '409': error('Not awaiting payment (`invoice_not_cancelable`)'),
            '503': error(
              'The invoice’s workflow could not be reached just now (`service_unavailable`); retry after `Retry-After`',
            ),
          },
        }),
      },
      '/v1/invoices/{id}/refunds': {
        post: merchantOp({
          tags: ['Invoices'],
          operationId: 'createRefund',
          summary: 'Refund a paid invoice, in full or in part, through 2Checkout',
          description:
            "Recorded as `requested` and answered at once; the invoice's workflow sends it to 2Checkout (`POST /orders/{RefNo}/refund/`) once. The invoice turns `partially_refunded` or `refunded` only when 2Checkout's refund notification confirms it; if 2Checkout refuses, the refund is `failed` with its reason. One refund of an invoice at a time, as 2Checkout takes them.",
          requestParams: {
            path: z.object({ id: id('inv_5m3yykz32y211hc1gn0g') }),
            header: z.object({
              'Idempotency-Key': z.string().meta({
                description: `Required: never a second refund. ${IDEMPOTENCY_KEY_RULES}`,
                example: 'refund-order-1001',
              }),
            }),
          },
          requestBody: { ...json(createRefundBody), required: false },
          responses: {
            '202': {
              description:
                'Recorded, being sent to 2Checkout (or, with `Idempotent-Replayed: true`, the first answer to this Idempotency-Key)',
              headers: replayedHeader,
              ...json(refundResponse),
            },
            '400': error('Invalid body, or a missing or invalid Idempotency-Key'),
            '404': error('No such invoice of this merchant (`not_found`)'),
            '409': error(
              'Not paid (`invoice_not_refundable`), another refund still open (`refund_in_progress`), or a request with this Idempotency-Key is still being handled (`idempotency_key_in_flight`)',
            ),
            '422': error(
              'More than is left to refund (`refund_exceeds_remaining`), or the Idempotency-Key was used with another request (`idempotency_key_reused`)',
            ),
            '503': error(
              'Recorded, but not yet handed on (`service_unavailable`); retry with the same Idempotency-Key after `Retry-After`',
            ),
          },
        }),
        get: merchantOp({
          tags: ['Invoices'],
          operationId: 'listRefunds',
          summary: "The invoice's refunds, newest first, a page at a time",
          description: PAGING,
          requestParams: { path: z.object({ id: id('inv_5m3yykz32y211hc1gn0g') }), query: listRefundsQuery },
          responses: {
            '200': { description: 'One page of its refunds', ...json(refundListResponse) },
            '400': error('Invalid `limit` or `cursor` (`invalid_request`)'),
            '404': error('No such invoice of this merchant (`not_found`)'),
          },
        }),
      },
      '/v1/ipn-events': {
        get: merchantOp({
          tags: ['IPN'],
          operationId: 'listIpnEvents',
          summary: 'The IPN log, newest first, a page at a time',
          description: PAGING,
          requestParams: { query: listIpnEventsQuery },
          responses: {
            '200': {
              description: 'Every attempt with its verdict, delivery and outcome',
              ...json(ipnEventListResponse),
            },
            '400': error('`since` is not a date, or an invalid `limit` or `cursor` (`invalid_request`)'),
          },
        }),
      },
      '/v1/webhook-deliveries': {
        get: merchantOp({
          tags: ['Webhooks'],
          operationId: 'listWebhookDeliveries',
          summary: 'Every attempt to POST an event to the webhook URL, newest first',
          description: PAGING,
          requestParams: { query: listWebhookDeliveriesQuery },
          responses: {
            '200': { description: 'A page of attempts', ...json(webhookDeliveryListResponse) },
            '400': error('Invalid query (`invalid_request`)'),
          },
        }),
      },
      '/v1/webhook-events/{eventId}/resend': {
        post: merchantOp({
          tags: ['Webhooks'],
          operationId: 'resendWebhookEvent',
          summary: 'Deliver an event again',
          description:
            'A new delivery with the same retries (exponential backoff, up to 3 days): the same event, byte for byte, as stored when it happened. Event ids are in `GET /v1/events` and in the invoice’s `events` (`eventId`).',
          requestParams: { path: webhookEventParams },
          responses: {
            '202': { description: 'Delivery started', ...json(webhookResendResponse) },
            '400': error('Not an event id (`invalid_request`)'),
            '404': error('No such event for this merchant (`not_found`)'),
            '409': error(
              'No webhook URL set (`no_webhook_url`), or a resend started this very millisecond (`resend_in_progress`)',
            ),
            '503': error(
              'The delivery could not be started just now (`service_unavailable`); retry after `Retry-After`',
            ),
          },
        }),
      },
      '/v1/events': {
        get: merchantOp({
          tags: ['Webhooks'],
          operationId: 'listEvents',
          summary: 'The events of the last 30 days, newest first: to catch up after the webhook endpoint was down',
          description:
            'Each as it was POSTed (or would have been, without a webhook URL): the same bytes as every delivery.',
          requestParams: { query: listEventsQuery },
          responses: {
            '200': { description: 'A page of events', ...json(eventListResponse) },
            '400': error(
              'Invalid query: an unknown type, a limit out of 1–100, a cursor not given out (`invalid_request`)',
            ),
          },
        }),
      },
      '/v1/events/{id}': {
        get: merchantOp({
          tags: ['Webhooks'],
          operationId: 'getEvent',
          summary: 'One event of the last 30 days, as it was sent',
          requestParams: { path: eventParams },
          responses: {
            '200': { description: 'The event', ...json(eventResponse) },
            '400': error('Not an event id (`invalid_request`)'),
            '404': error('No such event of this merchant in the last 30 days (`not_found`)'),
          },
        }),
      },
      '/order/{productId}': {
        get: {
          tags: ['Buyer'],
          operationId: 'orderProduct',
          summary: 'The public order link: a new invoice, then 2Checkout',
          requestParams: { path: z.object({ productId: id('prd_a8c369dqagc7tgmbfe4c') }) },
          responses: {
            '302': {
              description: 'To the invoice’s signed 2Checkout checkout',
              headers: z.object({ Location: z.url().meta({ description: 'The checkout link' }) }),
            },
            '404': text('This product does not exist or is no longer sold', 'text/html'),
            '429': text('Too many orders from this address, or of this product; `Retry-After` says when', 'text/html'),
            '503': text('The checkout could not be opened just now', 'text/html'),
          },
        },
      },
      '/pay/return': {
        get: {
          tags: ['Buyer'],
          operationId: 'paymentReturn',
          summary: 'Where 2Checkout sends the buyer back; decides nothing',
          requestParams: {
            query: z.object({ invoice: z.string().optional().meta({ example: 'inv_5m3yykz32y211hc1gn0g' }) }),
          },
          responses: { '200': text('Where the invoice stands, for the buyer', 'text/html') },
        },
      },
      '/ipn/2checkout/{merchantId}': {
        get: {
          tags: ['IPN'],
          operationId: 'checkIpnUrl',
          summary: 'Answers 2Checkout’s check of the IPN URL',
          requestParams: { path: z.object({ merchantId: id('mer_37cq1jqzb58a0xv9k5y1') }) },
          responses: { '200': text('IPN endpoint') },
        },
        post: {
          tags: ['IPN'],
          operationId: 'receiveIpn',
          summary: '2Checkout’s IPN',
          description:
            'The raw bytes are verified (SHA3-256, then SHA-256, then MD5 only where the merchant allows it) and stored before the answer; the stored IPN is then signalled to the invoice’s workflow.',
          requestParams: { path: z.object({ merchantId: id('mer_37cq1jqzb58a0xv9k5y1') }) },
          requestBody: {
            description: 'The IPN form, in 2Checkout’s field order, with HASH, SIGNATURE_SHA2_256, SIGNATURE_SHA3_256',
            content: {
              'application/x-www-form-urlencoded': {
                schema: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
              },
            },
          },
          responses: {
            '200': text('The read receipt, `<sig algo="sha3" date="…">…</sig>` (or `<EPAYMENT>` for MD5)', 'text/html'),
            '400': text(
              'Refused, no receipt: malformed, not verified (stored as an attempt, its first 4 KiB), or no such merchant. The answer does not say which; the IPN log and metrics do',
            ),
            '429': text('Too many IPNs for this merchant id just now; 2Checkout retries'),
            '413': error('Body larger than IPN_BODY_LIMIT (`payload_too_large`)'),
            '503': text('The database could not take it: no receipt, 2Checkout retries'),
          },
        },
      },
      '/healthz': {
        get: {
          tags: ['Operations'],
          operationId: 'healthz',
          summary: 'Liveness: the process answers',
          responses: { '200': { description: 'Up', ...json(z.object({ status: z.literal('ok') })) } },
        },
      },
      '/readyz': {
        get: {
          tags: ['Operations'],
          operationId: 'readyz',
          summary: 'Readiness: PostgreSQL and Temporal answer',
          responses: {
            '200': { description: 'Ready', ...json(readiness) },
            '503': { description: 'Not ready; `checks` names what is unavailable', ...json(readiness) },
          },
        },
      },
      '/metrics': {
        get: {
          tags: ['Operations'],
          operationId: 'metrics',
          summary: 'Prometheus metrics (text exposition format), for the admin token',
          security: [{ adminToken: [] }],
          responses: {
            '200': text('ipn_received_total, ipn_receipt_duration_seconds, invoices, process metrics…'),
            '401': error('Not the admin token (`unauthorized`)'),
          },
        },
      },
    },
    webhooks: eventWebhooks(),
  });
}

/** OpenAPI 3.1 `webhooks`: one entry per event type (lib/events.ts EVENT_TYPES), each with its envelope. */
function eventWebhooks() {
  const headers = z.object({
    'webhook-id': z
      .string()
      .meta({ description: 'The event id: the same in every delivery and resend', example: 'evt_42' }),
    'webhook-timestamp': z.string().meta({ description: 'Unix seconds of this attempt', example: '1795939200' }),
    'webhook-signature': z.string().meta({
      description: 'Space-separated `v1,<base64 HMAC-SHA256>`, one per signing secret (two during a rotation)',
      example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
    }),
  });
  return Object.fromEntries(
    (Object.entries(EVENT_TYPES) as [EventType, { meaning: string }][]).map(([type, { meaning }]) => [
      type,
      {
        post: {
          operationId: `on_${type.replace('.', '_')}`,
          summary: type,
          description: meaning,
          requestParams: { header: headers },
          requestBody: json(eventEnvelopeSchema(z.literal(type), { description: `The ${type} event` })),
          responses: {
            '2XX': { description: 'Received: any 2xx within 10 s; anything else is retried with backoff for 3 days' },
          },
        },
      },
    ]),
  );
}
