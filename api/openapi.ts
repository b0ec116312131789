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
  merchantResponse,
  patchMerchantBody,
  settingsChangeListResponse,
  productListResponse,
  productResponse,
  listWebhookDeliveriesQuery,
  webhookDeliveryListResponse,
  webhookEventParams,
  webhookResendResponse,
} from './schemas';

const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
const error = (description: string) => ({ description, ...json(errorResponse) });
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

const check = z.enum(['ok', 'unavailable']);
const readiness = z
  .object({ status: check, checks: z.object({ database: check, temporal: check }) })
  .meta({ id: 'Readiness' });

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the same zod schemas that validate the requests
 * (api/schemas.ts), plus response schemas declared beside them. Served at /openapi.json.
 */
export function buildOpenApiDocument(serverUrl?: string) {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: '2Checkout payments on Temporal',
      version: '1',
      description:
        'Invoices paid on 2Checkout (Verifone) hosted checkout, confirmed by IPN and 2Checkout’s REST API. JSON in and out; errors are `{ "error": { "code", "message" } }`. One merchant never sees another’s data (404, not 403).',
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
          'Status changes POSTed to the merchant’s webhookUrl (public addresses only; https for live merchants), signed: `Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. After a secret rotation a second `v1=`, made with the previous secret, follows until its overlap ends: accept the webhook if any `v1` matches.',
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
          description: 'Answers the merchant’s API key, once, and the IPN URL to paste into 2Checkout.',
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
          summary: 'Change the name or 2Checkout settings',
          description:
            'Secrets given are sealed again; a `sandbox` merchant is registered with the sandbox again. Changes of the 2Checkout settings are audited (`/v1/merchant/settings-changes`); invoices already made stay verified with the account they were made under.',
          requestBody: json(patchMerchantBody),
          responses: {
            '200': { description: 'The merchant as saved', ...json(merchantResponse) },
            '400': error('Invalid body'),
            '422': error('`sandbox` where this deployment does not enable it (`sandbox_disabled`)'),
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
            '400': error('Invalid body (a price the currency cannot hold, an unknown currency…)'),
          },
        }),
        get: merchantOp({
          tags: ['Products'],
          operationId: 'listProducts',
          summary: 'Every product, newest first',
          responses: { '200': { description: 'The products', ...json(productListResponse) } },
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
              'Idempotency-Key': z.string().optional().meta({
                description:
                  'Makes retries safe: the same key with the same body answers the same invoice; with another body, 409',
                example: 'order-1001',
              }),
            }),
          },
          requestBody: json(createInvoiceBody),
          responses: {
            '201': { description: 'Created', ...json(invoiceResponse) },
            '400': error('Invalid body or Idempotency-Key'),
            '404': error('No such product'),
            '409': error('The Idempotency-Key was used with another body (`idempotency_key_reused`)'),
            '422': error(
              'A product no longer sold (`product_inactive`), or a `sandbox` merchant where the sandbox is disabled (`sandbox_disabled`)',
            ),
            '503': error('Temporal could not be reached; retry with the same Idempotency-Key'),
          },
        }),
        get: merchantOp({
          tags: ['Invoices'],
          operationId: 'listInvoices',
          summary: 'Invoices, newest first, a page at a time',
          requestParams: { query: listInvoicesQuery },
          responses: {
            '200': { description: 'One page', ...json(invoiceListResponse) },
            '400': error('Unknown status or cursor'),
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
            '404': error('No such invoice of this merchant'),
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
            '404': error('No such invoice of this merchant'),
            '409': error('Not awaiting payment (`invoice_not_cancelable`)'),
            '503': error('Temporal could not be reached (`temporal_unavailable`)'),
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
                description:
                  'Required: the same key with the same body answers the same refund, never a second one; with another body, 409',
                example: 'refund-order-1001',
              }),
            }),
          },
          requestBody: { ...json(createRefundBody), required: false },
          responses: {
            '202': {
              description: 'Recorded, being sent to 2Checkout (or the first answer to this key)',
              ...json(refundResponse),
            },
            '400': error('Invalid body, or a missing or invalid Idempotency-Key'),
            '404': error('No such invoice of this merchant'),
            '409': error(
              'Not paid (`invoice_not_refundable`), another refund still open (`refund_in_progress`), or the Idempotency-Key was used with another body (`idempotency_key_reused`)',
            ),
            '422': error('More than is left to refund (`refund_exceeds_remaining`)'),
            '503': error('Recorded, but Temporal could not be reached; retry with the same Idempotency-Key'),
          },
        }),
        get: merchantOp({
          tags: ['Invoices'],
          operationId: 'listRefunds',
          summary: "The invoice's refunds, oldest first",
          requestParams: { path: z.object({ id: id('inv_5m3yykz32y211hc1gn0g') }) },
          responses: {
            '200': { description: 'Its refunds', ...json(refundListResponse) },
            '404': error('No such invoice of this merchant'),
          },
        }),
      },
      '/v1/ipn-events': {
        get: merchantOp({
          tags: ['IPN'],
          operationId: 'listIpnEvents',
          summary: 'The IPN log, newest first (100 at most)',
          requestParams: {
            query: z.object({
              since: z.string().optional().meta({
                description: 'Only IPNs received at or after this time (ISO 8601)',
                example: '2026-11-29T00:00:00Z',
              }),
            }),
          },
          responses: {
            '200': {
              description: 'Every attempt with its verdict, delivery and outcome',
              ...json(ipnEventListResponse),
            },
            '400': error('since is not a date'),
          },
        }),
      },
      '/v1/webhook-deliveries': {
        get: merchantOp({
          tags: ['Webhooks'],
          operationId: 'listWebhookDeliveries',
          summary: 'Every attempt to POST an event to the webhook URL, newest first',
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
            'A new delivery with the same retries (exponential backoff, up to 3 days): the same event id and type, the invoice as it is now. Event ids are in the invoice’s `events` (`eventId`).',
          requestParams: { path: webhookEventParams },
          responses: {
            '202': { description: 'Delivery started', ...json(webhookResendResponse) },
            '400': error('Not an event id (`invalid_request`)'),
            '404': error('No such event for this merchant (`not_found`)'),
            '409': error('No webhook URL set (`no_webhook_url`), or a resend started this very millisecond'),
            '503': error('Temporal unreachable (`temporal_unavailable`); retry'),
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
            '413': error('Body larger than IPN_BODY_LIMIT'),
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
  });
}
