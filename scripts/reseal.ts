import { z } from 'zod';
import { checkSecretsFields, fields, parseConfig, secretsFields } from '../lib/config';
import { createDb } from '../lib/db';
import { resealSecrets } from '../lib/reseal';
import { createSecretBox, keyringOf } from '../lib/secret-box';

/**
 * `npm run reseal`: after a new key is put first in SECRETS_KEYS, seals every stored secret with it (one
 * transaction; run again, it changes nothing), so that the old key can then be removed. Prints the counts.
 */
async function main(): Promise<void> {
  const config = parseConfig(
    z.object({ DATABASE_URL: fields.postgresUrl(), ...secretsFields }).superRefine(checkSecretsFields),
    process.env,
  );
  const box = createSecretBox(keyringOf(config.SECRETS_KEYS, config.SECRETS_KEY));
  const db = createDb(config.DATABASE_URL, { min: 0, max: 1 });
  try {
    const counts = await resealSecrets(db, box);
    for (const [column, c] of Object.entries(counts))
      console.log(
        `${column}: ${c.resealed} re-sealed, ${c.current} already under key ${box.sealingKeyId}, ${c.empty} empty`,
      );
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
