import { z } from 'zod';
import { MAX_OVERLAP_SECONDS } from '../lib/api-keys';
import { isCurrency, toMinorUnits } from '../lib/money';
import { REFUND_STATUSES } from '../lib/refunds';
import { INVOICE_STATUSES } from '../workflows/shared';

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
function priced<T extends { price: string; currency: string }>(v: T, ctx: z.RefinementCtx) {
  if (!isCurrency(v.currency)) return;
  try {
    if (toMinorUnits(v.price, v.currency) <= 0)
      ctx.addIssue({ code: 'custom', path: ['price'], message: 'must be positive' });
  } catch (err) {
    ctx.addIssue({ code: 'custom', path: ['price'], message: (err as Error).message });
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
      '`live`: 2Checkout itself; `sandbox`: the local 2Checkout sandbox, only where the deployment enables it (SANDBOX_ENABLED). Invoices already made stay verified with the environment and merchant code they were made under',
  }),
  testOrders: z.boolean().optional().meta({ description: 'Whether a 2Checkout test order may pay an invoice' }),
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

/** A row id as the API prints it: at most 15 digits, so it stays exact as a number and fits PostgreSQL's bigint. */
const ROW_ID = /^\d{1,15}$/;
/** Free text that ends up in SQL: PostgreSQL's text cannot hold NUL. */
const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((v) => !v.includes('\u0000'), 'must not contain NUL');

export const listWebhookDeliveriesQuery = z.strictObject({
  invoiceId: text(100).optional(),
  eventId: text(100).optional().meta({ example: 'evt_42' }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().regex(ROW_ID, 'must be a nextCursor from a previous page').optional(),
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

export const listIpnEventsQuery = z.strictObject({ since: isoInstant.optional() });

export const createProductBody = z.strictObject({ name, price, currency }).superRefine(priced);

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
    .superRefine((v, ctx) => v.items.forEach((item) => priced({ ...item, currency: v.currency }, ctx))),
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

export const listInvoicesQuery = z.strictObject({
  status: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: text(500).optional(),
});

// ---- Responses ---------------------------------------------------------------------------------------------------
// What the API answers, for /openapi.json; test/integration/observability.test.ts checks real answers against them.

const isoTime = z.iso.datetime().meta({ example: '2026-11-29T00:20:58.648Z' });
const money = z.string().meta({ description: 'Decimal string in the currency', example: '50.00' });

export const errorResponse = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable, machine-readable', example: 'invalid_request' }),
      message: z.string().meta({ description: 'For people; may change', example: 'name: Too small' }),
    }),
  })
  .meta({ id: 'Error', description: 'Every error: a string code and a message' });

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
      'The first characters of the API key this request was made with (on creation: the new key); all keys: GET /v1/merchant/api-keys',
    example: 'sk_TeZL',
  }),
  twocheckout: z.object({
    merchantCode: z.string(),
    environment: z.enum(['sandbox', 'live']),
    testOrders: z.boolean(),
    allowMd5Ipn: z.boolean(),
    secretKey: fingerprint,
    buyLinkSecretWord: fingerprint,
  }),
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
    apiKey: z
      .string()
      .meta({ description: 'Shown once, here; only its hash is kept', example: 'sk_TeZLIsXNs_vaV-2NK8ZG9GqZoSRMKOqv' }),
  })
  .meta({ id: 'CreatedMerchant' });

export const productResponse = z
  .object({
    id: z.string().meta({ example: 'prd_a8c369dqagc7tgmbfe4c' }),
    name: z.string().meta({ example: 'Test product' }),
    price: money,
    currency: z.string().meta({ example: 'RUB' }),
    active: z.boolean(),
    orderUrl: z.url().meta({ description: 'Public order link: a new invoice and a redirect to 2Checkout' }),
    createdAt: isoTime,
  })
  .meta({ id: 'Product' });

const nullableTime = isoTime.nullable();
const moneyIn = z.object({ amount: money, currency: z.string().meta({ example: 'USD' }) });
const invoiceFields = {
  id: z.string().meta({ example: 'inv_5m3yykz32y211hc1gn0g' }),
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
export const refundListResponse = z.object({ data: z.array(refundResponse) }).meta({ id: 'RefundList' });

export const invoiceDetailResponse = z
  .object({ ...invoiceFields, events: z.array(invoiceEventResponse), refunds: z.array(refundResponse) })
  .meta({ id: 'InvoiceDetail', description: 'An invoice with its audit trail and its refunds, oldest first' });

export const invoiceListResponse = z
  .object({
    data: z.array(invoiceResponse),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last' }),
  })
  .meta({ id: 'InvoiceList' });

export const productListResponse = z.object({ data: z.array(productResponse) }).meta({ id: 'ProductList' });

export const ipnEventResponse = z
  .object({
    id: z.int(),
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

export const ipnEventListResponse = z.object({ data: z.array(ipnEventResponse) }).meta({ id: 'IpnEventList' });

export const webhookDeliveryResponse = z
  .object({
    eventId: z.string().meta({ example: 'evt_42' }),
    eventType: z.string().meta({ example: 'invoice.paid' }),
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

export const webhookDeliveryListResponse = z
  .object({
    data: z.array(webhookDeliveryResponse),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last' }),
  })
  .meta({ id: 'WebhookDeliveryList' });

export const webhookResendResponse = z
  .object({
    eventId: z.string().meta({ example: 'evt_42' }),
    workflowId: z.string().meta({ description: 'The delivery in the Temporal UI', example: 'webhook-evt_42-resend-1' }),
  })
  .meta({ id: 'WebhookResend' });

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
  prefix: z.string().meta({ description: 'The first characters of the key, to recognise it', example: 'sk_TeZL' }),
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
    apiKey: newApiKey,
  })
  .meta({ id: 'ReplacedApiKeys', description: 'Every key revoked, and the one new key to hand to the merchant' });

export const merchantAccessResponse = z
  .object({
    id: z.string().meta({ example: 'mer_37cq1jqzb58a0xv9k5y1' }),
    disabled: z.boolean(),
    disabledAt: isoTime.nullable(),
    disabledReason: z.string().nullable(),
  })
  .meta({ id: 'MerchantAccess', description: 'Whether the merchant may use its API keys and dashboard' });

const settingValue = z.union([z.string(), z.boolean()]);
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
