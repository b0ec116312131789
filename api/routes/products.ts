import { Router, type RequestHandler } from 'express';
import { scopeOf } from '../auth';
import type { ApiDeps } from '../deps';
import { notFound } from '../errors';
import { pageView } from '../paging';
import { createProduct, listProducts } from '../products';
import { listProductsQuery } from '../schemas';
import { productView, type ProductRow } from '../views';

/** Products, each with its public order link. */
export function productRoutes(deps: ApiDeps, requireMerchant: RequestHandler) {
  const { db, config } = deps;
  const router = Router();

  /** POST /v1/products — `{ name, price: "50.00", currency: "RUB" }`. */
  router.post('/v1/products', requireMerchant, async (req, res) => {
    res.status(201).json(productView(await createProduct(deps, scopeOf(res.locals), req.body), config.publicUrl));
  });

  /** GET /v1/products?limit=&cursor= — newest first (api/paging.ts). */
  router.get('/v1/products', requireMerchant, async (req, res) => {
    const page = await listProducts(deps, scopeOf(res.locals), listProductsQuery.parse(req.query));
    res.json(pageView(page, (p) => productView(p, config.publicUrl)));
  });

  /** GET /v1/products/{id} — another merchant's product, or one of the other mode, is not found. */
  router.get('/v1/products/:id', requireMerchant, async (req, res) => {
    const row = await db<ProductRow>('products')
      .where({ id: String(req.params.id), ...scopeOf(res.locals) })
      .first();
    if (!row) throw notFound('Product');
    res.json(productView(row, config.publicUrl));
  });

  return router;
}
