import { z } from 'zod';
import { MAX_OVERLAP_SECONDS } from '../lib/api-keys';
import { API_VERSION } from '../lib/api-version';
import { EVENT_TYPES, type EventType } from '../lib/events';
import { isCurrency, toMinorUnits } from '../lib/money';
import { REFUND_STATUSES } from '../lib/refunds';
import { INVOICE_STATUSES } from '../workflows/shared';
import { ERROR_CODE_NAMES, errorCodesTable } from './error-codes';
import { listQuery, pageOf } from './paging';

const currency = z
  .string()
  .refine(isCurrency, 'must be an ISO 4217 currency code in upper case, e.g. "RUB"')
  .meta({ description: 'ISO 4217 currency code, upper case', example: 'RUB' });
const name = z.string().trim().min(1).max(200);
/** A positive decimal string valid for its currency (checked with the currency by `priced`). */
const price = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'must be a decimal string such as "50.00"')
  .meta({ description: 'Decimal string with at most the currency’s minor digits; never a float', example: '50.00' });

/** Checks `price` against `currency` (exponent, positive) where both are known. */
/** `at`: where the priced object sits in the body (an invoice's `items.<i>`), so an error names its field. */
function priced<T extends { price: string; currency: string }>(v: T, ctx: z.RefinementCtx, at: PropertyKey[] = []) {
  if (!isCurrency(v.currency)) return;
  try {
    if (toMinorUnits(v.price, v.currency) <= 0)
      ctx.addIssue({ code: 'custom', path: [...at, 'price'], message: 'must be positive' });
  } catch (err) {
    ctx.addIssue({ code: 'custom', path: [...at, 'price'], message: (err as Error).message });
  }
}

const twocheckout = z.strictObject({
  merchantCode: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .meta({ description: '2Checkout merchant code (Integrations → Webhooks & API)', example: '250000000001' }),
  secretKey: z.string().min(1).max(256).meta({
    description: '2Checkout Secret Key: IPN signatures, read receipts, REST API. Stored sealed, shown as a fingerprint',
  }),
  buyLinkSecretWord: z.string().min(1).max(256).meta({
    description: '2Checkout Buy-link Secret Word: signs checkout links. Stored sealed, shown as a fingerprint',
  }),
  environment: z.enum(['sandbox', 'live']).meta({
    description:
      "The setup of the calling key's mode. Test mode: `sandbox`, the local 2Checkout sandbox (only where the deployment enables it, SANDBOX_ENABLED), or `live`, 2Checkout itself with test orders only (`test=1`). Live mode: `live` only. Invoices already made stay verified with the environment and merchant code they were made under",
  }),
  testOrders: z.boolean().optional().meta({
    description:
      'Whether a 2Checkout test order may pay an invoice: test mode on 2Checkout itself always (its links ask for test orders), live mode never',
  }),
  allowMd5Ipn: z.boolean().optional().meta({ description: 'Accept IPNs signed only with the legacy MD5 HASH' }),
});

export const createMerchantBody = z.strictObject({ name, twocheckout });

/** Where webhooks go: an http(s) URL the merchant's system answers 2xx on. */
const webhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(2000)
  .meta({ example: 'https://shop.example/hooks/payments' });

export const patchMerchantBody = z
  .strictObject({
    name: name.optional(),
    twocheckout: twocheckout.partial().optional(),
    webhookUrl: webhookUrl.nullable().optional().meta({
      description:
        'Where every status change is POSTed, signed (see Webhook-Signature); null stops webhooks. https:// for a live merchant; it must resolve to a public address (redirects are not followed). Setting the first URL creates the signing secret, answered once in `webhookSecret`.',
    }),
    rotateWebhookSecret: z.boolean().optional().meta({
      description:
        'Replace the signing secret (answered once); the old one goes on signing too for `previousWebhookSecretExpiresIn`',
    }),
    previousWebhookSecretExpiresIn: z
      .number()
      .int()
      .min(0)
      .max(7 * 86400)
      .optional()
      .meta({
        description:
          'With rotateWebhookSecret: seconds during which webhooks carry a second `v1=` signature made with the old secret, so the receiver can switch (0: the old one stops at once; at most 7 days; default 86400)',
        example: 86400,
      }),
  })
  .refine((b) => b.previousWebhookSecretExpiresIn === undefined || b.rotateWebhookSecret === true, {
    message: 'only with rotateWebhookSecret: true',
    path: ['previousWebhookSecretExpiresIn'],
  });
export type PatchMerchantBody = z.infer<typeof patchMerchantBody>;

/** Free text that ends up in SQL: PostgreSQL's text cannot hold NUL. */
const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((v) => !v.includes('\u0000'), 'must not contain NUL');

export const listWebhookDeliveriesQuery = listQuery({
  invoiceId: text(100).optional(),
  eventId: text(100).optional().meta({ example: 'evt_42' }),
});

export const webhookEventParams = z.object({
  eventId: z
    .string()
    .regex(/^evt_\d{1,15}$/, 'must be an event id such as evt_42')
    .meta({ example: 'evt_42' }),
});

/** An instant in ISO 8601 (a date alone is its midnight UTC), within years PostgreSQL and people both use. */
const isoInstant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: 'must be an ISO 8601 date or time such as 2026-11-29T00:00:00Z',
  })
  .transform((v) => new Date(v))
  .refine((d) => d.getUTCFullYear() >= 1970 && d.getUTCFullYear() <= 9999, 'must be between 1970 and 9999');

export const listIpnEventsQuery = listQuery({
  since: isoInstant.optional().meta({
    description: 'Only IPNs received at or after this time (ISO 8601)',
    example: '2026-11-29T00:00:00Z',
  }),
});

export const METADATA_LIMITS = { keys: 50, keyLength: 40, valueLength: 500 } as const;
const metadataText = (v: string) => !v.includes('\u0000');
const shortKey = (k: string) => JSON.stringify(k.length > 45 ? `${k.slice(0, 40)}…` : k);
/**
 * The merchant's own key-value pairs on a product or invoice, bounded like Stripe's. Keys are checked here rather
 * than by the record's key schema, whose error says only "Invalid key in record"; `__proto__` is refused, since a
 * JavaScript object would drop it without a word.
 */
const metadata = z
  .preprocess(
    (v, ctx) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
      const keys = Object.keys(v);
      if (keys.length > METADATA_LIMITS.keys) {
        ctx.addIssue({ code: 'custom', message: `at most ${METADATA_LIMITS.keys} keys, not ${keys.length}` });
        return v;
      }
      for (const k of keys) {
        if (k.length < 1 || k.length > METADATA_LIMITS.keyLength || !metadataText(k) || k === '__proto__')
          ctx.addIssue({
            code: 'custom',
            message: `key ${shortKey(k)} must be 1 to ${METADATA_LIMITS.keyLength} characters (no NUL, not __proto__)`,
          });
      }
      return v;
    },
    z.record(
      z.string().meta({ minLength: 1, maxLength: METADATA_LIMITS.keyLength }),
      z.string().max(METADATA_LIMITS.valueLength).refine(metadataText, 'must not contain NUL'),
    ),
  )
  .meta({
    description: `Your own key-value pairs, returned as given: up to ${METADATA_LIMITS.keys} keys of up to ${METADATA_LIMITS.keyLength} characters, each value a string of up to ${METADATA_LIMITS.valueLength} characters. Not shown to the buyer nor sent to 2Checkout`,
    maxProperties: METADATA_LIMITS.keys,
    example: { orderId: '1001', channel: 'web' },
  });

export const listProductsQuery = listQuery({});

export const createProductBody = z
  .strictObject({ name, price, currency, metadata: metadata.optional() })
  .superRefine(priced);

const expiresIn = z
  .number()
  .int()
  .min(60)
  .max(90 * 86400);
const common = {
  customerEmail: z.string().email().max(254).optional(),
  externalId: z.string().min(1).max(100).optional(),
  expiresIn: expiresIn.optional(),
  language: z.enum(['en', 'ru']).optional().meta({
    description: "The checkout's language, sent to 2Checkout on the buy link; without it, 2Checkout picks",
    example: 'ru',
  }),
  metadata: metadata.optional(),
};

export const createInvoiceBody = z.union([
  z.strictObject({ productId: z.string().min(1), quantity: z.number().int().min(1).max(10_000).optional(), ...common }),
  z
    .strictObject({
      items: z
        .array(z.strictObject({ name, price, quantity: z.number().int().min(1).max(10_000) }))
        .min(1)
        .max(100),
      currency,
      ...common,
    })
    .superRefine((v, ctx) =>
      v.items.forEach((item, i) => priced({ ...item, currency: v.currency }, ctx, ['items', i])),
    ),
]);
export type CreateInvoiceBody = z.infer<typeof createInvoiceBody>;

export const cancelInvoiceBody = z.strictObject({ reason: z.string().max(500).optional() });

export const createRefundBody = z.strictObject({
  amount: price.optional().meta({
    description:
      'How much to refund, in the invoice currency; at most what is left (the invoice amount less what is refunded). Default: all that is left, which 2Checkout refunds as the whole order, tax included',
    example: '20.00',
  }),
  reason: text(150).trim().min(1).optional().meta({
    description: "Why, for the shop's records; sent to 2Checkout as the refund comment",
    example: 'Late delivery',
  }),
});
export type CreateRefundBody = z.infer<typeof createRefundBody>;

export const listInvoicesQuery = listQuery({
  status: z
    .preprocess(
      (v) => (typeof v === 'string' ? v.split(',') : v),
      z
        .array(z.enum(INVOICE_STATUSES))
        .min(1)
        .max(INVOICE_STATUSES.length)
        .transform((a) => [...new Set(a)]),
    )
    .optional()
    .meta({
      description: 'Any of these statuses: repeat the parameter (`status=paid&status=refunded`) or separate by commas',
      example: ['paid', 'partially_refunded'],
    }),
  createdFrom: isoInstant.optional().meta({
    description: 'Created at or after this instant (ISO 8601; a date alone is its midnight UTC)',
    example: '2026-11-01T00:00:00Z',
  }),
  createdTo: isoInstant.optional().meta({
    description: 'Created before this instant (exclusive; ISO 8601)',
    example: '2026-12-01T00:00:00Z',
  }),
  externalId: text(100)
    .min(1)
    .optional()
    .meta({ description: 'Your own reference, exactly as given', example: 'order-1001' }),
}).refine((q) => q.createdFrom === undefined || q.createdTo === undefined || q.createdFrom <= q.createdTo, {
  message: 'must not be after createdTo',
  path: ['createdFrom'],
});

// ---- Responses ---------------------------------------------------------------------------------------------------
// What the API answers, for /openapi.json; test/integration/observability.test.ts checks real answers against them.

const isoTime = z.iso.datetime().meta({ example: '2026-11-29T00:20:58.648Z' });
const metadataView = z
  .record(z.string(), z.string())
  .meta({ description: 'Your own key-value pairs, as set on creation; `{}` if none', example: { orderId: '1001' } });
const money = z.string().meta({ description: 'Decimal string in the currency', example: '50.00' });

export const errorResponse = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODE_NAMES).meta({
        description: 'Stable, machine-readable: act on it (the table above says what each means)',
        example: 'invalid_request',
      }),
      message: z.string().meta({ description: 'For people; may change', example: 'items.0.price: must be positive' }),
      param: z.string().optional().meta({
        description: 'The field the error is about (the first of `errors`): a dotted path, or a header name',
        example: 'items.0.price',
      }),
      errors: z
        .array(
          z.object({
            field: z.string().meta({ description: 'Dotted path into the request (`body`: the body itself)' }),
            message: z.string(),
          }),
        )
        .optional()
        .meta({ description: 'Every problem of an invalid request (`invalid_request` from validation)' }),
      docUrl: z.url().meta({
        description: 'This code’s entry on the errors page',
        example: 'https://pay.example.com/docs/errors#invalid_request',
      }),
      requestId: z.string().meta({
        description: 'The request’s id, also in the X-Request-Id header and the logs: quote it when asking about it',
        example: '3f2b8c1e-7d4a-4c2b-9a51-0e6f1c2d3b4a',
      }),
    }),
  })
  .meta({
    id: 'Error',
    description: `Every error answer. 429 and 503 also carry \`Retry-After\` (seconds). The codes:\n\n${errorCodesTable()}`,
  });

/** How a secret is shown: nothing of it, only enough of its hash to tell two secrets apart. */
const fingerprint = z.string().meta({
  description: 'Fingerprint: `sha256:` and the first 8 hex characters of the SHA-256 of the secret; no character of it',
  example: 'sha256:9f86d081',
});

const merchantFields = {
  id: z.string().meta({ example: 'mer_37cq1jqzb58a0xv9k5y1' }),
  name: z.string().meta({ example: 'My shop' }),
  ipnUrl: z.url().meta({ description: 'Paste into 2Checkout: Integrations → Webhooks & API → IPN settings' }),
  apiKeyPrefix: z.string().meta({
    description:
      'The first characters of the API key this request was made with (on creation: `apiKey`); all keys: GET /v1/merchant/api-keys',
    example: 'sk_test_TeZL',
  }),
  livemode: z.boolean().meta({
    description:
      "The mode of the calling key (on creation: of `apiKey`): `twocheckout` is that mode's 2Checkout setup, and the key sees only that mode's data",
  }),
  live: z.boolean().meta({ description: 'Whether the merchant has a live 2Checkout setup (has gone live)' }),
  twocheckout: z
    .object({
      merchantCode: z.string(),
      environment: z.enum(['sandbox', 'live']),
      testOrders: z.boolean(),
      allowMd5Ipn: z.boolean(),
      secretKey: fingerprint,
      buyLinkSecretWord: fingerprint,
    })
    .nullable()
    .meta({ description: 'The 2Checkout setup of the mode; null for live mode before the merchant goes live' }),
  webhookUrl: webhookUrl.nullable(),
  webhookSecret: z.string().nullable().meta({
    description:
      'A fingerprint (`sha256:` and the first 8 hex characters of its SHA-256), except in the PATCH answer that created or rotated it: the whole secret, shown once',
    example: 'sha256:9f86d081',
  }),
  createdAt: isoTime,
  updatedAt: isoTime,
  warnings: z
    .array(z.string())
    .optional()
    .meta({ description: 'Saved, but something needs attention (the sandbox could not be told)' }),
};
export const merchantResponse = z.object(merchantFields).meta({ id: 'Merchant', description: 'Secrets masked' });
export const createdMerchantResponse = z
  .object({
    ...merchantFields,
    apiKey: z.string().meta({
      description:
        'Shown once, here; only its hash is kept. The key of the mode `twocheckout` set up: live for 2Checkout with real orders, else test (the same as `liveApiKey` or `testApiKey`)',
      example: 'sk_test_TeZLIsXNs_vaV-2NK8ZG9GqZoSRMKOqv',
    }),
    liveApiKey: z.string().meta({
      description: 'The live key (`sk_live_…`), shown once: live data only; makes invoices once the merchant is live',
      example: 'sk_live_Q2d8IsXNs_vaV-2NK8ZG9GqZoSRMKOqv',
    }),
    testApiKey: z.string().meta({
      description: 'The test key (`sk_test_…`), shown once: test data only, paid in the test setup',
      example: 'sk_test_TeZLIsXNs_vaV-2NK8ZG9GqZoSRMKOqv',
    }),
  })
  .meta({ id: 'CreatedMerchant' });

export const productResponse = z
  .object({
    id: z.string().meta({ example: 'prd_a8c369dqagc7tgmbfe4c' }),
    name: z.string().meta({ example: 'Test product' }),
    price: money,
    currency: z.string().meta({ example: 'RUB' }),
    active: z.boolean(),
    livemode: z
      .boolean()
      .meta({ description: 'Sold in live mode (true) or test mode; seen by keys of that mode only' }),
    orderUrl: z.url().meta({ description: 'Public order link: a new invoice and a redirect to 2Checkout' }),
    metadata: metadataView,
    createdAt: isoTime,
  })
  .meta({ id: 'Product' });

const nullableTime = isoTime.nullable();
const moneyIn = z.object({ amount: money, currency: z.string().meta({ example: 'USD' }) });
const invoiceFields = {
  id: z.string().meta({ example: 'inv_5m3yykz32y211hc1gn0g' }),
  livemode: z.boolean().meta({
    description:
      "Live money (true) or test mode: the mode of the key or product it was made with; paid in that mode's 2Checkout setup",
  }),
  status: z.enum(INVOICE_STATUSES),
  statusReason: z.string().nullable().meta({
    description: 'Why the invoice is where it is, in words',
    example: 'waiting for payment until 2026-11-30T00:20:59.307Z',
  }),
  late: z.boolean().meta({ description: 'Paid after it expired or was canceled' }),
  amount: money,
  currency: z.string().meta({ example: 'RUB' }),
  refundedAmount: money,
  fee: moneyIn.nullable().meta({
    description:
      "2Checkout's fee on the payment (IPN_COMMISSION, rounded half away from zero to the minor unit), in the order currency; null until a verified IPN states it",
    example: { amount: '37.95', currency: 'RUB' },
  }),
  net: moneyIn.nullable().meta({
    description:
      'What 2Checkout pays out for the payment after its fee (PAYABLE_AMOUNT), in the payout currency, which may differ from the order currency; negative when the fee exceeds a tiny order; null until a verified IPN states it',
    example: { amount: '0.14', currency: 'USD' },
  }),
  fxRate: z.string().nullable().meta({
    description: "2Checkout's FX_RATE from the order currency to the payout currency, as it wrote it",
    example: '0.012',
  }),
  items: z.array(z.object({ name: z.string(), price: money, quantity: z.int() })),
  productId: z.string().nullable(),
  customerEmail: z.string().nullable(),
  externalId: z.string().nullable(),
  checkoutUrl: z.url().nullable().meta({ description: 'The signed 2Checkout checkout link (ConvertPlus)' }),
  language: z
    .enum(['en', 'ru'])
    .nullable()
    .meta({ description: 'The checkout language asked of 2Checkout on the link; null: 2Checkout picks' }),
  metadata: metadataView.meta({
    description:
      "Your own key-value pairs, as set on creation; `{}` if none. An invoice made from a product's order link starts with `{}`: the product's metadata is not copied (read it through `productId`)",
  }),
  twocheckout: z.object({
    refNo: z.string().nullable().meta({ description: "2Checkout's order reference (RefNo)" }),
    orderNo: z.string().nullable(),
    testOrder: z.boolean().nullable(),
  }),
  expiresAt: isoTime,
  paidAt: nullableTime,
  createdAt: isoTime,
  updatedAt: isoTime,
};
export const invoiceResponse = z.object(invoiceFields).meta({ id: 'Invoice' });

export const invoiceEventResponse = z
  .object({
    eventId: z
      .string()
      .nullable()
      .meta({ description: 'The webhook event announcing this change (status changes only)', example: 'evt_42' }),
    type: z.string().meta({ example: 'status_changed' }),
    from: z.string().nullable(),
    to: z.string().nullable(),
    cause: z.string().meta({ example: 'merchant: POST /v1/invoices/{id}/cancel' }),
    ipnEventId: z.int().nullable(),
    at: isoTime,
  })
  .meta({ id: 'InvoiceEvent', description: 'One entry of the audit trail' });

export const refundResponse = z
  .object({
    id: z.string().meta({ example: 'rf_0m3c8k2h7wq5x9v1t4s6' }),
    invoiceId: z.string().meta({ example: 'inv_5m3yykz32y211hc1gn0g' }),
    amount: money,
    currency: z.string().meta({ example: 'RUB' }),
    reason: z.string().nullable(),
    status: z.enum(REFUND_STATUSES).meta({
      description:
        "`requested`: recorded, being sent to 2Checkout; `pending`: 2Checkout registered it, its refund notification will confirm it; `succeeded`: confirmed, counted in the invoice's refundedAmount; `failed`: 2Checkout refused it (statusReason says why) or it could not be sent; `needs_review`: sent without an answer, never sent again by itself: its notification still confirms it",
    }),
    statusReason: z.string().nullable().meta({ example: '2Checkout refused the refund of 50.00 RUB: …' }),
    source: z.enum(['api', 'dashboard', 'twocheckout']).meta({
      description: '`twocheckout`: made in the 2Checkout Control Panel, reported by its refund notification',
    }),
    fee: moneyIn
      .nullable()
      .meta({ description: "2Checkout's fee change on the refund, as its notification states it" }),
    net: moneyIn.nullable().meta({ description: 'The payout change of the refund, as its notification states it' }),
    createdAt: isoTime,
    sentAt: nullableTime.meta({ description: 'When 2Checkout registered it' }),
    settledAt: nullableTime.meta({ description: 'When it succeeded or failed' }),
  })
  .meta({ id: 'Refund' });
export const refundListResponse = pageOf(refundResponse, 'RefundList');
export const listRefundsQuery = listQuery({});

export const invoiceDetailResponse = z
  .object({ ...invoiceFields, events: z.array(invoiceEventResponse), refunds: z.array(refundResponse) })
  .meta({ id: 'InvoiceDetail', description: 'An invoice with its audit trail and its refunds, oldest first' });

export const invoiceListResponse = pageOf(invoiceResponse, 'InvoiceList');

export const productListResponse = pageOf(productResponse, 'ProductList');

export const ipnEventResponse = z
  .object({
    id: z.int(),
    livemode: z
      .boolean()
      .meta({ description: 'The mode of the invoice it names (else of the setup it was checked with)' }),
    receivedAt: isoTime,
    verdict: z.string().meta({
      description: '`verified`, or why it was refused: malformed, missing_signature, bad_signature, md5_not_allowed',
    }),
    algorithm: z.string().nullable().meta({ example: 'sha3-256' }),
    refNo: z.string().nullable(),
    refNoExt: z.string().nullable().meta({ description: 'The invoice id 2Checkout echoes (REFNOEXT)' }),
    orderStatus: z.string().nullable().meta({ example: 'COMPLETE' }),
    invoiceId: z.string().nullable(),
    unknownInvoice: z.boolean().meta({ description: 'Verified but names no invoice of this merchant: flagged' }),
    deliveryState: z.enum(['not_applicable', 'pending', 'delivered']),
    outcome: z.string().nullable(),
    duplicates: z.int().meta({ description: 'How many times 2Checkout sent it again' }),
  })
  .meta({ id: 'IpnEvent', description: 'One IPN attempt as received, with its verdict and what became of it' });

export const ipnEventListResponse = pageOf(ipnEventResponse, 'IpnEventList');

export const webhookDeliveryResponse = z
  .object({
    eventId: z.string().meta({ example: 'evt_42' }),
    eventType: z.string().meta({ example: 'invoice.paid' }),
    livemode: z.boolean().meta({ description: "The invoice's mode" }),
    invoiceId: z.string(),
    attempt: z.int().meta({ description: '1 for the first attempt; numbering goes on across resends' }),
    url: z.string(),
    state: z.enum(['pending', 'succeeded', 'failed']),
    responseStatus: z.int().nullable(),
    responseExcerpt: z
      .string()
      .nullable()
      .meta({ description: 'The first 500 characters of the answer (only its first 4 KiB is read)' }),
    error: z.string().nullable().meta({
      description:
        'Why the attempt failed without a usable answer: timeout, refused connection, a redirect (not followed), an address that is not public, http:// for a live merchant',
    }),
    startedAt: isoTime,
    completedAt: isoTime.nullable(),
  })
  .meta({ id: 'WebhookDelivery', description: 'One attempt to POST an event to the merchant' });

export const webhookDeliveryListResponse = pageOf(webhookDeliveryResponse, 'WebhookDeliveryList');

export const webhookResendResponse = z
  .object({
    eventId: z.string().meta({ example: 'evt_42' }),
    workflowId: z.string().meta({ description: 'The delivery in the Temporal UI', example: 'webhook-evt_42-resend-1' }),
  })
  .meta({ id: 'WebhookResend' });

// ---- Events (lib/events.ts) ----------------------------------------------------------------------------------------

const eventTypes = Object.keys(EVENT_TYPES) as [EventType, ...EventType[]];
const eventId = z
  .string()
  .regex(/^evt_\d{1,15}$/, 'must be an event id such as evt_42')
  .meta({ example: 'evt_42' });

export const listEventsQuery = listQuery({
  type: z.enum(eventTypes).optional().meta({ description: 'Only events of this type' }),
  invoiceId: text(100)
    .optional()
    .meta({ description: 'Only events of this invoice', example: 'inv_5m3yykz32y211hc1gn0g' }),
});

export const eventParams = z.object({ id: eventId });

/** The envelope of one event type (`type` a literal), or of any (`type` the enum). */
export const eventEnvelopeSchema = (type: z.ZodType, meta: { id?: string; description: string }) =>
  z
    .object({
      id: eventId.meta({ description: 'The same in every delivery and resend: dedupe on it (also `webhook-id`)' }),
      type,
      createdAt: isoTime.meta({ description: 'When the change happened' }),
      apiVersion: z
        .string()
        .meta({ description: 'The API version the payload was made under; it never changes', example: API_VERSION }),
      livemode: z.boolean().meta({
        description: "The invoice's mode: true for live money, false for test mode (delivered to the same webhook URL)",
      }),
      data: z.object({
        // the invoice as it was when the event happened
        invoice: invoiceResponse,
        previousStatus: z
          .enum(INVOICE_STATUSES)
          .nullable()
          .meta({ description: 'The status before the change; null for invoice.created' }),
      }),
    })
    .meta(meta);

export const eventResponse = eventEnvelopeSchema(z.enum(eventTypes), {
  id: 'Event',
  description:
    'A change of an invoice, as POSTed to the webhook URL and listed by GET /v1/events; frozen when it happened',
});

export const eventListResponse = pageOf(eventResponse, 'EventList');

// ---- API keys and merchant access (lib/api-keys.ts) --------------------------------------------------------------

export const rotateApiKeyBody = z.strictObject({
  expireCurrentIn: z.number().int().min(0).max(MAX_OVERLAP_SECONDS).optional().meta({
    description:
      'Seconds the calling key keeps working, so integrations can switch to the new one (0: stops at once; at most 7 days; default 86400)',
    example: 86400,
  }),
});

export const apiKeyParams = z.object({
  id: z
    .string()
    .regex(/^key_[0-9a-z]{20}$/, 'must be an API key id such as key_8k2m4x0r7t3v5w9y1z6q')
    .meta({ example: 'key_8k2m4x0r7t3v5w9y1z6q' }),
});

export const merchantParams = z.object({
  id: text(100).meta({ example: 'mer_37cq1jqzb58a0xv9k5y1' }),
});

export const disableMerchantBody = z.strictObject({
  reason: text(500)
    .optional()
    .meta({ description: 'Why, for ops (kept and logged, never shown to the merchant)', example: 'chargeback fraud' }),
});

const apiKeyFields = {
  id: z.string().meta({ example: 'key_8k2m4x0r7t3v5w9y1z6q' }),
  prefix: z.string().meta({ description: 'The first characters of the key, to recognise it', example: 'sk_test_TeZL' }),
  livemode: z.boolean().meta({ description: 'Its mode: a key sees, and manages the keys of, its own mode only' }),
  state: z.enum(['active', 'expiring', 'expired', 'revoked']).meta({
    description: '`expiring`: works until `expiresAt` (rotated away); `expired` and `revoked` keys are refused',
  }),
  current: z.boolean().meta({ description: 'The key this request was made with' }),
  createdAt: isoTime,
  expiresAt: isoTime.nullable().meta({ description: 'Refused from this time on; null: no expiry' }),
  revokedAt: isoTime.nullable(),
  lastUsedAt: isoTime.nullable().meta({ description: 'Last accepted call, to the minute; null: never used' }),
};
export const apiKeyResponse = z
  .object(apiKeyFields)
  .meta({ id: 'ApiKey', description: 'One API key of the merchant; the key itself is never shown again' });

export const apiKeyListResponse = z.object({ data: z.array(apiKeyResponse) }).meta({ id: 'ApiKeyList' });

const newApiKey = z
  .string()
  .meta({ description: 'Shown once, here; only its hash is kept', example: 'sk_TeZLIsXNs_vaV-2NK8ZG9GqZoSRMKOqv' });

export const createdApiKeyResponse = z
  .object({
    ...apiKeyFields,
    apiKey: newApiKey,
    previousKey: apiKeyResponse,
  })
  .meta({
    id: 'CreatedApiKey',
    description: 'The new key, shown once; `previousKey` is the calling key, now expiring',
  });

export const replacedApiKeysResponse = z
  .object({
    merchantId: z.string().meta({ example: 'mer_37cq1jqzb58a0xv9k5y1' }),
    revoked: z.array(z.string()).meta({ description: 'The ids of the keys revoked now' }),
    keyId: z.string().meta({ example: 'key_8k2m4x0r7t3v5w9y1z6q' }),
    apiKey: newApiKey.meta({
      description: 'The new key of the mode the merchant works in (live once it is live); the same as one below',
    }),
    liveApiKey: newApiKey.meta({ description: 'The new live key (`sk_live_…`), shown once' }),
    testApiKey: newApiKey.meta({ description: 'The new test key (`sk_test_…`), shown once' }),
  })
  .meta({ id: 'ReplacedApiKeys', description: 'Every key of both modes revoked, and one new key per mode' });

export const merchantAccessResponse = z
  .object({
    id: z.string().meta({ example: 'mer_37cq1jqzb58a0xv9k5y1' }),
    disabled: z.boolean(),
    disabledAt: isoTime.nullable(),
    disabledReason: z.string().nullable(),
  })
  .meta({ id: 'MerchantAccess', description: 'Whether the merchant may use its API keys and dashboard' });

// null: a live setup not there (before the merchant went live)
const settingValue = z.union([z.string(), z.boolean()]).nullable();
export const settingsChangeResponse = z
  .object({
    id: z.int(),
    at: isoTime,
    actor: z.object({
      type: z.enum(['admin', 'api_key', 'dashboard']),
      name: z.string().meta({ description: '`admin`, or the API key’s id and first characters', example: 'admin' }),
    }),
    fields: z.array(z.string()).meta({ example: ['environment', 'secretKey'] }),
    changes: z
      .record(
        z.string(),
        z.object({ from: settingValue.optional(), to: settingValue.optional(), changed: z.literal(true).optional() }),
      )
      .meta({
        description: 'Per setting: `from` and `to`; secrets only `changed: true`, their values are never kept',
        example: { environment: { from: 'live', to: 'sandbox' }, secretKey: { changed: true } },
      }),
  })
  .meta({ id: 'SettingsChange', description: "A change of the merchant's 2Checkout settings, audited" });
export const settingsChangeListResponse = z
  .object({ data: z.array(settingsChangeResponse) })
  .meta({ id: 'SettingsChangeList' });
