import { checkoutLinkOf } from '../lib/checkout-link';
import { recordEvent } from '../lib/events';
import type { InvoiceRow } from '../lib/invoice';
import { newId } from '../lib/ids';
import { LiveModeNotSetUp, openMerchant, type Merchant, type MerchantRow } from '../lib/merchants';
import { toMinorUnits } from '../lib/money';
import type { ApiDeps } from './deps';
import { HttpError, notFound } from './errors';
import { NO_IDEMPOTENCY_KEY, type IdempotencyClaim } from './idempotency';
import { checkEnvironmentAllowed } from './merchant-settings';
import type { CreateInvoiceBody } from './schemas';
import type { ProductRow } from './views';
import { startInvoiceWorkflow } from '../lib/invoice-client';

type Item = InvoiceRow['items'][number];

/**
 * Creates an invoice with its signed checkout link (one transaction), then starts its workflow: one plain start,
 * the cheapest for Temporal (README: "Creating an invoice"). Under an Idempotency-Key (api/idempotency.ts) the invoice
 * is recorded with the key; when an earlier attempt recorded one and then failed (Temporal was down), this finishes
 * that invoice instead of making another. The invoice is of `livemode` (the calling key's, or the product's for an
 * order link): made from that mode's products only, and signed for that mode's 2Checkout setup. Returns the invoice
 * row, and whether it was created now.
 */
export async function createInvoice(
  deps: ApiDeps,
  merchant: MerchantRow,
  livemode: boolean,
  body: CreateInvoiceBody,
  /** Who asked, for the audit trail. */
  source: string,
  claim: IdempotencyClaim = NO_IDEMPOTENCY_KEY,
): Promise<{ invoice: InvoiceRow; created: boolean }> {
  if (claim.recorded !== null) {
    const recorded = await deps
      .db<InvoiceRow>('invoices')
      .where({ id: claim.recorded, merchant_id: merchant.id, livemode })
      .first();
    // Its workflow may not have started (Temporal was down): starting it again is a no-op when it runs.
    if (recorded!.status === 'awaiting_payment') await started(deps, merchant, recorded!);
    return { invoice: recorded!, created: false };
  }

  const setup = setupOf(deps, merchant, livemode);
  checkEnvironmentAllowed(deps, setup.environment);
  const { items, currency, productId } = await resolveItems(deps, merchant, livemode, body);
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
    setup,
    deps.config,
  );
  const inserted = await deps.db.transaction(async (trx) => {
    const [row] = (await trx<InvoiceRow>('invoices')
      .insert({
        id,
        merchant_id: merchant.id,
        livemode,
        product_id: productId,
        items: JSON.stringify(items) as unknown as Item[],
        amount_minor: amountMinor,
        currency,
        expires_at: expiresAt,
        status_reason: `waiting for payment until ${expiresAt.toISOString()}`,
        checkout_url: checkoutUrl,
        // the account of this link is the one its payments are verified with, whatever the merchant changes later
        twocheckout_environment: setup.environment,
        twocheckout_merchant_code: setup.merchantCode,
        customer_email: body.customerEmail ?? null,
        external_id: body.externalId ?? null,
        language: body.language ?? null,
        metadata: JSON.stringify(body.metadata ?? {}) as unknown as InvoiceRow['metadata'],
      })
      .returning('*')) as [InvoiceRow];
    await claim.record(trx, row.id);
    const [created] = await trx('invoice_events')
      .insert([
        { invoice_id: row.id, type: 'created', to_status: row.status, cause: source },
        {
          invoice_id: row.id,
          type: 'checkout_link_created',
          cause: `signed ConvertPlus link for 2Checkout merchant ${setup.merchantCode} (${setup.environment}${setup.acceptTestOrders ? ', test orders' : ''})`,
          dedup_key: 'checkout_link_created',
        },
      ])
      .returning<{ id: number }[]>('id');
    await recordEvent(trx, created!.id, row);
    return row;
  });
  await started(deps, merchant, inserted);
  return { invoice: inserted, created: true };
}

/** The 2Checkout setup of the mode; live mode before the merchant went live makes no invoice (409). */
function setupOf(deps: ApiDeps, merchant: MerchantRow, livemode: boolean): Merchant {
  try {
    return openMerchant(merchant, deps.secretBox, livemode);
  } catch (err) {
    if (!(err instanceof LiveModeNotSetUp)) throw err;
    throw new HttpError(
      409,
      'live_mode_not_set_up',
      'This merchant has no live 2Checkout setup yet: set it with a live key (PATCH /v1/merchant), or use a test key',
    );
  }
}

/** Starts the invoice's workflow; if Temporal cannot be reached, the invoice stays and a retry completes it. */
async function started(deps: ApiDeps, merchant: MerchantRow, invoice: InvoiceRow): Promise<void> {
  try {
    await startInvoiceWorkflow(deps.temporal, { ...invoice, shop: merchant.name });
  } catch (err) {
    deps.log('could not start invoice workflow', { invoiceId: invoice.id, error: String(err) });
    throw new HttpError(
      503,
      'service_unavailable',
      `Invoice ${invoice.id} was created but its workflow could not be started yet; retry with the same Idempotency-Key`,
    );
  }
}

async function resolveItems(
  deps: ApiDeps,
  merchant: MerchantRow,
  livemode: boolean,
  body: CreateInvoiceBody,
): Promise<{ items: Item[]; currency: string; productId: string | null }> {
  if ('productId' in body) {
    const product = await deps
      .db<ProductRow>('products')
      .where({ id: body.productId, merchant_id: merchant.id, livemode })
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
