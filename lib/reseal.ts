import type { Knex } from 'knex';
import { SEALED_COLUMNS, type MerchantRow } from './merchants';
import { SecretBoxError, type SecretBox } from './secret-box';

/** Per sealed column: values moved to the sealing key now, values already under it, and empty (null) ones. */
export type ResealCounts = Record<string, { resealed: number; current: number; empty: number }>;

/**
 * Re-seals every sealed value not sealed by the keyring's first key, in one transaction: run again, it finds nothing
 * to do. A value no key of the ring opens stops it, with nothing written, naming the row and column.
 */
export async function resealSecrets(db: Knex, box: SecretBox): Promise<ResealCounts> {
  return db.transaction(async (trx) => {
    const counts: ResealCounts = Object.fromEntries(
      SEALED_COLUMNS.map(({ column }) => [`merchants.${column}`, { resealed: 0, current: 0, empty: 0 }]),
    );
    const rows = await trx<MerchantRow>('merchants')
      .select('id', ...SEALED_COLUMNS.map((c) => c.column))
      .orderBy('id')
      .forUpdate();
    for (const row of rows) {
      const update: Partial<Record<string, string>> = {};
      for (const { column, context } of SEALED_COLUMNS) {
        const count = counts[`merchants.${column}`]!;
        const sealed = row[column];
        if (sealed === null) count.empty++;
        else if (box.keyIdOf(sealed) === box.sealingKeyId) count.current++;
        else {
          try {
            update[column] = box.seal(box.open(sealed, context(row.id)), context(row.id));
          } catch (err) {
            throw new SecretBoxError(`merchants.${column} of ${row.id}: ${(err as Error).message}`);
          }
          count.resealed++;
        }
      }
      if (Object.keys(update).length > 0) await trx('merchants').where({ id: row.id }).update(update);
    }
    return counts;
  });
}
