import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import {
  cancelInvoiceBody,
  createInvoiceBody,
  createMerchantBody,
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
  '401': error('Missing or unknown API key (`unauthorized`)'),
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
          'Status changes POSTed to the merchant’s webhookUrl, signed: `Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`',
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
            '401': error('Not the admin token (`unauthorized`)'),
          },
        },
      },
      '/v1/merchant': {
        get: merchantOp({
          tags: ['Merchants'],
          operationId: 'getMerchant',
          summary: 'The calling merchant, secrets masked',
          responses: { '200': { description: 'The merchant', ...json(merchantResponse) } },
        }),
        patch: merchantOp({
          tags: ['Merchants'],
          operationId: 'updateMerchant',
          summary: 'Change the name or 2Checkout settings',
          description: 'Secrets given are sealed again; a `sandbox` merchant is registered with the sandbox again.',
          requestBody: json(patchMerchantBody),
          responses: {
            '200': { description: 'The merchant as saved', ...json(merchantResponse) },
            '400': error('Invalid body'),
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
            '400': text('Malformed, or its signature did not verify: stored as an attempt, no receipt'),
            '404': text('Unknown merchant'),
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
          summary: 'Prometheus metrics (text exposition format)',
          responses: { '200': text('ipn_received_total, ipn_receipt_duration_seconds, invoices, process metrics…') },
        },
      },
    },
  });
}
