import { Router } from 'express';
import type { InvoiceRow } from '../../lib/invoice';
import { escapeHtml as esc } from '../../lib/html';
import type { MerchantRow } from '../../lib/merchants';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';
import { createInvoice } from '../invoices';
import type { RateLimits } from '../security';
import type { ProductRow } from '../views';

/** What the buyer sees: the public order link of a product, and the page 2Checkout returns them to. */
export function publicRoutes(deps: ApiDeps, limits: Pick<RateLimits, 'orderLinkPerClient' | 'orderLinkPerProduct'>) {
  const { db } = deps;
  const router = Router();

  /**
   * GET /order/{productId} — creates an invoice for the product and sends the buyer to its checkout (302). Rate
   * limited per client and per product: each GET costs an invoice and a workflow.
   */
  router.get('/order/:productId', limits.orderLinkPerClient, limits.orderLinkPerProduct, async (req, res) => {
    const product = await db<ProductRow>('products')
      .where({ id: String(req.params.productId) })
      .first();
    // A disabled merchant sells nothing new; invoices it already made can still be paid, and their IPNs are handled.
    const merchant = product?.active
      ? (await db<MerchantRow>('merchants').where({ id: product.merchant_id }).first())!
      : undefined;
    if (!product || !merchant || merchant.disabled_at) {
      res.status(404).type('html').send(page('Not for sale', 'This product does not exist or is no longer sold.'));
      return;
    }
    try {
      const { invoice } = await createInvoice(
        deps,
        merchant,
        { productId: product.id },
        undefined,
        `order link of product ${product.id}`,
      );
      res.redirect(302, invoice.checkout_url!);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      res.status(err.status).type('html').send(page('Please try again', 'The checkout could not be opened just now.'));
    }
  });

  /**
   * GET /pay/return?invoice= — where 2Checkout sends the buyer back. It decides nothing (the IPN and 2Checkout's
   * API do); it only tells the buyer where their invoice stands.
   */
  router.get('/pay/return', async (req, res) => {
    const id = typeof req.query.invoice === 'string' ? req.query.invoice : '';
    const invoice = id ? await db<InvoiceRow>('invoices').where({ id }).first('status') : undefined;
    const text =
      invoice?.status === 'paid'
        ? 'Your payment has been received. Thank you!'
        : 'Thank you. Your payment is being confirmed; the shop is told as soon as 2Checkout confirms it.';
    res.type('html').send(page('Thank you', text));
  });

  return router;
}

function page(title: string, text: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1><p>${esc(text)}</p></body></html>`;
}
