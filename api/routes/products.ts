import { Router, type RequestHandler } from 'express';
import { newId } from '../../lib/ids';
import { toMinorUnits } from '../../lib/money';
import { merchantOf } from '../auth';
import type { ApiDeps } from '../deps';
import { notFound } from '../errors';
import { createProductBody } from '../schemas';
import { productView, type ProductRow } from '../views';

/** Products, each with its public order link. */
export function productRoutes({ db, config }: ApiDeps, requireMerchant: RequestHandler) {
  const router = Router();

  /** POST /v1/products — `{ name, price: "50.00", currency: "RUB" }`. */
  router.post('/v1/products', requireMerchant, async (req, res) => {
    const body = createProductBody.parse(req.body);
    const [row] = await db<ProductRow>('products')
      .insert({
        id: newId('prd'),
        merchant_id: merchantOf(res.locals).id,
        name: body.name,
        price_minor: toMinorUnits(body.price, body.currency),
        currency: body.currency,
      })
      .returning('*');
    res.status(201).json(productView(row!, config.publicUrl));
  });

  /** GET /v1/products — newest first. */
  router.get('/v1/products', requireMerchant, async (_req, res) => {
    const rows = await db<ProductRow>('products')
      .where({ merchant_id: merchantOf(res.locals).id })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(1000);
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
