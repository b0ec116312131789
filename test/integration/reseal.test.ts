import { execFile } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { openMerchant, sealContext, type MerchantRow } from '../../lib/merchants';
import { resealSecrets } from '../../lib/reseal';
import { createSecretBox } from '../../lib/secret-box';
import { createTestDatabase } from '../helpers/db';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

const ROOT = path.resolve(__dirname, '../..');

/** A value as lib/secret-box.ts sealed it before key ids: `v1.<nonce>.<tag>.<ciphertext>`. */
function legacySeal(base64Key: string, plaintext: string, context: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(base64Key, 'base64'), nonce).setAAD(Buffer.from(context));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', ...[nonce, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'))].join('.');
}

/** Rotating SECRETS_KEY: a new key in front, `npm run reseal`, the old key removed; every secret readable throughout. */
describe('re-sealing the stored secrets with a new key', () => {
  let t: TestDb;
  const keyA = randomBytes(32).toString('base64');
  const keyB = randomBytes(32).toString('base64');
  const onlyA = createSecretBox([{ id: 'a', key: keyA }]);
  const bThenA = createSecretBox([
    { id: 'b', key: keyB },
    { id: 'a', key: keyA },
  ]);
  const onlyB = createSecretBox([{ id: 'b', key: keyB }]);
  const secrets = (id: string) => ({
    secretKey: `${id} Secret Key`,
    buyLinkSecretWord: `${id} word`,
    webhook: `whsec_${id}`,
  });

  beforeAll(async () => {
    t = await createTestDatabase();
    await t.db.migrate.latest();
    for (const id of ['mer_1', 'mer_2']) {
      const s = secrets(id);
      await t.db('merchants').insert({
        id,
        name: 'Shop',
        twocheckout_merchant_code: `M${id}`,
        // mer_1 from before key ids (v1), mer_2 sealed under key a
        twocheckout_secret_key_sealed:
          id === 'mer_1'
            ? legacySeal(keyA, s.secretKey, sealContext.secretKey(id))
            : onlyA.seal(s.secretKey, sealContext.secretKey(id)),
        twocheckout_buy_link_secret_word_sealed: onlyA.seal(s.buyLinkSecretWord, sealContext.buyLinkSecretWord(id)),
        twocheckout_environment: 'live',
        webhook_url: id === 'mer_1' ? 'https://shop.example/hook' : null,
        webhook_secret_sealed: id === 'mer_1' ? onlyA.seal(s.webhook, sealContext.webhookSecret(id)) : null,
      });
    }
  });
  afterAll(async () => {
    await t?.drop();
  });

  const rows = () => t.db<MerchantRow>('merchants').orderBy('id');
  const opened = async (box: typeof onlyA) =>
    (await rows()).map((r) => {
      const m = openMerchant(r, box, false);
      return { secretKey: m.secretKey, buyLinkSecretWord: m.buyLinkSecretWord, webhook: m.webhookSecret };
    });
  const expected = [{ ...secrets('mer_1') }, { ...secrets('mer_2'), webhook: null }];

  it('When key b is put in front of a, then everything opens; re-sealing moves every value to b, once; without a, everything still opens', async () => {
    expect(await opened(bThenA)).toEqual(expected);
    const [legacy] = await rows();
    expect(() => openMerchant(legacy!, onlyB, false)).toThrow('Secret cannot be opened');

    const first = await resealSecrets(t.db, bThenA);
    expect(first).toEqual({
      'merchants.twocheckout_secret_key_sealed': { resealed: 2, current: 0, empty: 0 },
      'merchants.twocheckout_buy_link_secret_word_sealed': { resealed: 2, current: 0, empty: 0 },
      'merchants.webhook_secret_sealed': { resealed: 1, current: 0, empty: 1 },
      'merchants.webhook_previous_secret_sealed': { resealed: 0, current: 0, empty: 2 },
      'merchants.live_twocheckout_secret_key_sealed': { resealed: 0, current: 0, empty: 2 },
      'merchants.live_twocheckout_buy_link_secret_word_sealed': { resealed: 0, current: 0, empty: 2 },
    });
    for (const r of await rows()) {
      expect(onlyB.keyIdOf(r.twocheckout_secret_key_sealed)).toBe('b');
      expect(onlyB.keyIdOf(r.twocheckout_buy_link_secret_word_sealed)).toBe('b');
    }
    expect(await opened(onlyB)).toEqual(expected);

    const again = await resealSecrets(t.db, bThenA);
    expect(Object.values(again).map((c) => c.resealed)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(again['merchants.twocheckout_secret_key_sealed']).toEqual({ resealed: 0, current: 2, empty: 0 });
  });

  it('When a value opens with no key of the ring, then nothing is re-sealed and the row and column are named', async () => {
    const c = randomBytes(32).toString('base64');
    const before = await rows();
    await expect(resealSecrets(t.db, createSecretBox([{ id: 'c', key: c }]))).rejects.toThrow(
      'merchants.twocheckout_secret_key_sealed of mer_1: Secret sealed with key b, which is not in the keyring',
    );
    expect(await rows()).toEqual(before);
  });

  it('When `npm run reseal` runs with a new key in front, then it reports its counts, and a second run finds nothing to do', async () => {
    const c = randomBytes(32).toString('base64');
    const run = () =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/reseal.ts'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, DATABASE_URL: t.url, SECRETS_KEYS: `c:${c},b:${keyB}` },
      });
    expect((await run()).stdout).toBe(
      [
        'merchants.twocheckout_secret_key_sealed: 2 re-sealed, 0 already under key c, 0 empty',
        'merchants.twocheckout_buy_link_secret_word_sealed: 2 re-sealed, 0 already under key c, 0 empty',
        'merchants.webhook_secret_sealed: 1 re-sealed, 0 already under key c, 1 empty',
        'merchants.webhook_previous_secret_sealed: 0 re-sealed, 0 already under key c, 2 empty',
        'merchants.live_twocheckout_secret_key_sealed: 0 re-sealed, 0 already under key c, 2 empty',
        'merchants.live_twocheckout_buy_link_secret_word_sealed: 0 re-sealed, 0 already under key c, 2 empty',
        '',
      ].join('\n'),
    );
    expect((await run()).stdout).toContain(
      'merchants.twocheckout_secret_key_sealed: 0 re-sealed, 2 already under key c',
    );
    expect(await opened(createSecretBox([{ id: 'c', key: c }]))).toEqual(expected);
  });
});
