import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import { checkoutLinkOf } from '../lib/checkout-link';
import type { InvoiceRow } from '../lib/invoice';
import { newId } from '../lib/ids';
import { openMerchant, type MerchantRow } from '../lib/merchants';
import { toMinorUnits } from '../lib/money';
import type { ApiDeps } from './deps';
import { HttpError, notFound } from './errors';
import { checkEnvironmentAllowed } from './merchant-settings';
import type { CreateInvoiceBody } from './schemas';
import type { ProductRow } from './views';
import { startInvoiceWorkflow } from '../lib/invoice-client';

type Item = InvoiceRow['items'][number];

/**
 * Creates an invoice with its signed checkout link (one transaction), then starts its workflow: one plain start,
 * the cheapest for Temporal (README: "Creating an invoice"). With an Idempotency-Key, the same key and body give the
 * same invoice; the same key with another body is refused (409). Returns the invoice row, and whether it was created
 * now.
 */
export async function createInvoice(
  deps: ApiDeps,
  merchant: MerchantRow,
  body: CreateInvoiceBody,
  idempotencyKey: string | undefined,
  /** Who asked, for the audit trail. */
  source: string,
): Promise<{ invoice: InvoiceRow; created: boolean }> {
  const requestHash = createHash('sha256').update(stableStringify(body)).digest('hex');
  if (idempotencyKey !== undefined) {
    const existing = await findByKey(deps, merchant.id, idempotencyKey);
    if (existing) return { invoice: await replay(deps, merchant, existing, requestHash), created: false };
  }

  checkEnvironmentAllowed(deps, merchant.twocheckout_environment);
  const { items, currency, productId } = await resolveItems(deps, merchant, body);
  const amountMinor = items.reduce((sum, i) => sum + i.unitPriceMinor * i.quantity, 0);
  if (!Number.isSafeInteger(amountMinor)) throw new HttpError(400, 'invalid_request', 'Invoice total is too large');
  const now = deps.clock();
  const expiresIn = body.expiresIn ?? deps.config.invoiceExpiresInSeconds;
  const expiresAt = new Date(now.getTime() + expiresIn * 1000);
  const id = newId('inv');
  const checkoutUrl = checkoutLinkOf(
    {
      id,
      items,
      amount_minor: amountMinor,
      currency,
      customer_email: body.customerEmail ?? null,
      expires_at: expiresAt,
      language: body.language ?? null,
    },
    openMerchant(merchant, deps.secretBox),
    deps.config,
  );
  const inserted = await deps.db.transaction(async (trx) => {
    const [row] = await trx<InvoiceRow>('invoices')
      .insert({
        id,
        merchant_id: merchant.id,
        product_id: productId,
        items: JSON.stringify(items) as unknown as Item[],
        amount_minor: amountMinor,
        currency,
        expires_at: expiresAt,
        status_reason: `waiting for payment until ${expiresAt.toISOString()}`,
        checkout_url: checkoutUrl,
        // the account of this link is the one its payments are verified with, whatever the merchant changes later
        twocheckout_environment: merchant.twocheckout_environment,
        twocheckout_merchant_code: merchant.twocheckout_merchant_code,
        customer_email: body.customerEmail ?? null,
        external_id: body.externalId ?? null,
        language: body.language ?? null,
        idempotency_key: idempotencyKey ?? null,
        request_hash: requestHash,
      })
      .onConflict(['merchant_id', 'idempotency_key'])
      .ignore()
      .returning('*');
    if (!row) return undefined;
    await trx('invoice_events').insert([
      { invoice_id: row.id, type: 'created', to_status: row.status, cause: source },
      {
        invoice_id: row.id,
        type: 'checkout_link_created',
        cause: `signed ConvertPlus link for 2Checkout merchant ${merchant.twocheckout_merchant_code} (${merchant.twocheckout_environment})`,
        dedup_key: 'checkout_link_created',
      },
    ]);
    return row;
  });
  if (!inserted) {
    // Another request with the same key won the race: answer as its replay.
    const winner = await findByKey(deps, merchant.id, idempotencyKey!);
    return { invoice: await replay(deps, merchant, winner!, requestHash), created: false };
  }
  await started(deps, merchant, inserted);
  return { invoice: inserted, created: true };
}

async function findByKey(deps: ApiDeps, merchantId: string, key: string) {
  return deps.db<InvoiceRow>('invoices').where({ merchant_id: merchantId, idempotency_key: key }).first();
}

async function replay(
  deps: ApiDeps,
  merchant: MerchantRow,
  existing: InvoiceRow,
  requestHash: string,
): Promise<InvoiceRow> {
  if (existing.request_hash !== requestHash) {
    throw new HttpError(409, 'idempotency_key_reused', 'This Idempotency-Key was used with a different request body');
  }
  // Its workflow may not have started (Temporal was down): starting it again is a no-op when it runs.
  if (existing.status === 'awaiting_payment') await started(deps, merchant, existing);
  return existing;
}

/** Starts the invoice's workflow; if Temporal cannot be reached, the invoice stays and a retry completes it. */
async function started(deps: ApiDeps, merchant: MerchantRow, invoice: InvoiceRow): Promise<void> {
  try {
    await startInvoiceWorkflow(deps.temporal, { ...invoice, shop: merchant.name });
  } catch (err) {
    deps.log('could not start invoice workflow', { invoiceId: invoice.id, error: String(err) });
    throw new HttpError(
      503,
      'temporal_unavailable',
      `Invoice ${invoice.id} was created but its workflow could not be started yet; retry with the same Idempotency-Key`,
    );
  }
}

async function resolveItems(
  deps: ApiDeps,
  merchant: MerchantRow,
  body: CreateInvoiceBody,
): Promise<{ items: Item[]; currency: string; productId: string | null }> {
  if ('productId' in body) {
    const product = await deps
      .db<ProductRow>('products')
      .where({ id: body.productId, merchant_id: merchant.id })
      .first();
    if (!product) throw notFound('Product');
    if (!product.active) throw new HttpError(422, 'product_inactive', 'This product is no longer sold');
    return {
      items: [{ name: product.name, unitPriceMinor: product.price_minor, quantity: body.quantity ?? 1 }],
      currency: product.currency,
      productId: product.id,
    };
  }
  return {
    items: body.items.map((i) => ({
      name: i.name,
      unitPriceMinor: toMinorUnits(i.price, body.currency),
      quantity: i.quantity,
    })),
    currency: body.currency,
    productId: null,
  };
}
