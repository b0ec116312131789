import { z } from 'zod';
import { isCurrency, toMinorUnits } from '../lib/money';

const currency = z.string().refine(isCurrency, 'must be an ISO 4217 currency code in upper case, e.g. "RUB"');
const name = z.string().trim().min(1).max(200);
/** A positive decimal string valid for its currency (checked with the currency by `priced`). */
const price = z.string().regex(/^\d+(\.\d+)?$/, 'must be a decimal string such as "50.00"');

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
  merchantCode: z.string().trim().min(1).max(64),
  secretKey: z.string().min(1).max(256),
  buyLinkSecretWord: z.string().min(1).max(256),
  environment: z.enum(['sandbox', 'live']),
  testOrders: z.boolean().optional(),
  allowMd5Ipn: z.boolean().optional(),
});

export const createMerchantBody = z.strictObject({ name, twocheckout });

export const patchMerchantBody = z.strictObject({
  name: name.optional(),
  twocheckout: twocheckout.partial().optional(),
});

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

export const listInvoicesQuery = z.strictObject({
  status: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().optional(),
});
