import { newId } from '../lib/ids';
import { toMinorUnits } from '../lib/money';
import type { ApiDeps } from './deps';
import { createProductBody } from './schemas';
import type { ProductRow } from './views';

/** Creates a product from an API or dashboard request body (validated here). */
export async function createProduct(deps: ApiDeps, merchantId: string, input: unknown): Promise<ProductRow> {
  const body = createProductBody.parse(input);
  const [row] = await deps
    .db<ProductRow>('products')
    .insert({
      id: newId('prd'),
      merchant_id: merchantId,
      name: body.name,
      price_minor: toMinorUnits(body.price, body.currency),
      currency: body.currency,
    })
    .returning('*');
  return row!;
}

export function listProducts(deps: ApiDeps, merchantId: string): Promise<ProductRow[]> {
  return deps
    .db<ProductRow>('products')
    .where({ merchant_id: merchantId })
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(1000);
}
