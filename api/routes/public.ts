import { Router, type Request } from 'express';
import type { InvoiceRow } from '../../lib/invoice';
import { escapeHtml as esc } from '../../lib/html';
import type { MerchantRow } from '../../lib/merchants';
import { assetRoutes } from '../assets';
import { document } from '../dashboard-pages';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';
import { languageSwitch, localeOf, pageLanguage, requestedLanguage } from '../i18n';
import { createInvoice } from '../invoices';
import type { RateLimits } from '../security';
import type { ProductRow } from '../views';

/**
 * What the buyer sees, in English or Russian (the `lang` cookie, else Accept-Language): the public order link of a
 * product, and the page 2Checkout returns them to. Also the pages' stylesheets (api/assets.ts).
 */
export function publicRoutes(deps: ApiDeps, limits: Pick<RateLimits, 'orderLinkPerClient' | 'orderLinkPerProduct'>) {
  const { db } = deps;
  const router = Router();
  router.use(assetRoutes());
  router.use(['/pay', '/order'], languageSwitch({ secure: () => deps.config.publicUrl.startsWith('https:') }));

  /**
   * GET /order/{productId} — creates an invoice for the product and sends the buyer to its checkout (302), in the
   * buyer's language when it is one of ours (else 2Checkout picks). Rate limited per client and per product: each GET
   * costs an invoice and a workflow.
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
      res.status(404).type('html').send(buyerPage(req, 'notForSale'));
      return;
    }
    const language = requestedLanguage(req);
    try {
      const { invoice } = await createInvoice(
        deps,
        merchant,
        product.livemode,
        { productId: product.id, ...(language && { language }) },
        `order link of product ${product.id}`,
      );
      res.redirect(302, invoice.checkout_url!);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      res.status(err.status).type('html').send(buyerPage(req, 'tryAgain'));
    }
  });

  /**
   * GET /pay/return?invoice= — where 2Checkout sends the buyer back. It decides nothing (the IPN and 2Checkout's
   * API do); it only tells the buyer where their invoice stands.
   */
  router.get('/pay/return', async (req, res) => {
    const id = typeof req.query.invoice === 'string' ? req.query.invoice : '';
    const invoice = id ? await db<InvoiceRow>('invoices').where({ id }).first('status') : undefined;
    res.type('html').send(buyerPage(req, invoice?.status === 'paid' ? 'received' : 'confirming'));
  });

  return router;
}

/** One of the buyer's pages (locales/<language>/public.json): a heading and a sentence. */
function buyerPage(req: Request, which: 'notForSale' | 'tryAgain' | 'received' | 'confirming'): string {
  const ctx = { ...localeOf(pageLanguage(req)), path: req.originalUrl };
  const title = ctx.t(`public:${which}.title`);
  return document(ctx, title, `<main><h1>${esc(title)}</h1><p>${esc(ctx.t(`public:${which}.text`))}</p></main>`);
}
