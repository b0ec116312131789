import { newId } from '../lib/ids';
import type { ModeScope } from '../lib/merchants';
import { toMinorUnits } from '../lib/money';
import type { ApiDeps } from './deps';
import { CREATED_KEYS, paginate, type Page } from './paging';
import { createProductBody } from './schemas';
import type { ProductRow } from './views';

/** Creates a product of the key's (or session's) mode from an API or dashboard request body (validated here). */
export async function createProduct(deps: ApiDeps, scope: ModeScope, input: unknown): Promise<ProductRow> {
  const body = createProductBody.parse(input);
  const [row] = await deps
    .db<ProductRow>('products')
    .insert({
      id: newId('prd'),
      merchant_id: scope.merchant_id,
      livemode: scope.livemode,
      name: body.name,
      price_minor: toMinorUnits(body.price, body.currency),
      currency: body.currency,
      metadata: JSON.stringify(body.metadata ?? {}) as unknown as ProductRow['metadata'],
    })
    .returning('*');
  return row!;
}

/** A page of the merchant's products, newest first (api/paging.ts). */
export function listProducts(
  deps: ApiDeps,
  scope: ModeScope,
  q: { limit: number; cursor?: string | undefined },
): Promise<Page<ProductRow>> {
  const query = deps.db('products').select('*').where({ merchant_id: scope.merchant_id, livemode: scope.livemode });
  return paginate<ProductRow>(deps.db, query, CREATED_KEYS, q);
}
