import { Router, type RequestHandler } from 'express';
import { merchantOf } from '../auth';
import type { ApiDeps } from '../deps';
import { notFound } from '../errors';
import { createProduct, listProducts } from '../products';
import { productView, type ProductRow } from '../views';

/** Products, each with its public order link. */
export function productRoutes(deps: ApiDeps, requireMerchant: RequestHandler) {
  const { db, config } = deps;
  const router = Router();

  /** POST /v1/products — `{ name, price: "50.00", currency: "RUB" }`. */
  router.post('/v1/products', requireMerchant, async (req, res) => {
    res.status(201).json(productView(await createProduct(deps, merchantOf(res.locals).id, req.body), config.publicUrl));
  });

  /** GET /v1/products — newest first. */
  router.get('/v1/products', requireMerchant, async (_req, res) => {
    const rows = await listProducts(deps, merchantOf(res.locals).id);
    res.json({ data: rows.map((p) => productView(p, config.publicUrl)) });
  });

  /** GET /v1/products/{id} — another merchant's product is not found. */
  router.get('/v1/products/:id', requireMerchant, async (req, res) => {
    const row = await db<ProductRow>('products')
      .where({ id: String(req.params.id), merchant_id: merchantOf(res.locals).id })
      .first();
    if (!row) throw notFound('Product');
    res.json(productView(row, config.publicUrl));
  });

  return router;
}
