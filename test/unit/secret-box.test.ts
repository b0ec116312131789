import { createCipheriv, randomBytes } from 'node:crypto';
import { createSecretBox, keyringOf, SecretBoxError } from '../../lib/secret-box';
import { loadWorkerConfig } from '../../worker/config';

/** A value as lib/secret-box.ts sealed it before key ids: `v1.<nonce>.<tag>.<ciphertext>`. */
function legacySeal(base64Key: string, plaintext: string, context: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(base64Key, 'base64'), nonce).setAAD(Buffer.from(context));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', nonce, cipher.getAuthTag(), ciphertext]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

describe('secret box (AES-256-GCM at rest)', () => {
  const key = randomBytes(32).toString('base64');
  const box = createSecretBox(key);

  it('When a secret is sealed, then only the same key and context open it, and the plaintext is not in the output', () => {
    const sealed = box.seal('9V#x2!kQ@7pLz$4mW&tR', 'merchants.secret_key:mer_1');
    expect(sealed).toMatch(/^v2\.default\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('9V#x2');
    expect(box.open(sealed, 'merchants.secret_key:mer_1')).toBe('9V#x2!kQ@7pLz$4mW&tR');
    expect(() => box.open(sealed, 'merchants.secret_key:mer_2')).toThrow(SecretBoxError);
    expect(() =>
      createSecretBox(randomBytes(32).toString('base64')).open(sealed, 'merchants.secret_key:mer_1'),
    ).toThrow(SecretBoxError);
  });

  it('When the same secret is sealed twice, then the outputs differ (fresh nonce)', () => {
    expect(box.seal('x', 'c')).not.toBe(box.seal('x', 'c'));
  });

  it('When a sealed value is tampered with or malformed, then it does not open', () => {
    const [v, id, n, t, c] = box.seal('secret', 'c').split('.');
    const flipped = Buffer.from(c!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => box.open([v, id, n, t, flipped.toString('base64url')].join('.'), 'c')).toThrow(SecretBoxError);
    expect(() => box.open('plaintext', 'c')).toThrow(SecretBoxError);
  });

  it('When the tag is cut short or the nonce is not 12 bytes, then the value is refused, even though GCM would take it', () => {
    const sealed = box.seal('secret', 'c');
    const [v, id, n, t, c] = sealed.split('.');
    const tag = Buffer.from(t!, 'base64url');
    for (const short of [tag.subarray(0, 4), tag.subarray(0, 12), tag.subarray(0, 15)]) {
      expect(() => box.open([v, id, n, short.toString('base64url'), c].join('.'), 'c')).toThrow(
        'the nonce must be 12 bytes and the tag 16',
      );
    }
    const longNonce = Buffer.concat([Buffer.from(n!, 'base64url'), Buffer.alloc(4)]).toString('base64url');
    expect(() => box.open([v, id, longNonce, t, c].join('.'), 'c')).toThrow(/nonce must be 12 bytes/);
    expect(() => box.open([v, id, n, t, c].join('.'), 'c')).not.toThrow();
  });

  it('When the key is not 32 bytes, then the box is not made', () => {
    expect(() => createSecretBox(randomBytes(16).toString('base64'))).toThrow(SecretBoxError);
  });

  describe('the keyring', () => {
    const a = randomBytes(32).toString('base64');
    const b = randomBytes(32).toString('base64');

    it('When a value sealed under key A is read after key B is added in front, then it opens; new values name B', () => {
      const sealedA = createSecretBox([{ id: 'a', key: a }]).seal('Secret Key', 'ctx');
      const ring = createSecretBox([
        { id: 'b', key: b },
        { id: 'a', key: a },
      ]);
      expect(ring.open(sealedA, 'ctx')).toBe('Secret Key');
      expect(ring.keyIdOf(sealedA)).toBe('a');
      const sealedB = ring.seal('Secret Key', 'ctx');
      expect(ring.keyIdOf(sealedB)).toBe('b');
      expect(ring.sealingKeyId).toBe('b');
      // with A removed, what B sealed still opens, and what only A sealed says which key it needs
      const onlyB = createSecretBox([{ id: 'b', key: b }]);
      expect(onlyB.open(sealedB, 'ctx')).toBe('Secret Key');
      expect(() => onlyB.open(sealedA, 'ctx')).toThrow('Secret sealed with key a, which is not in the keyring');
    });

    it('When a value was sealed before key ids (v1), then whichever key of the ring sealed it opens it', () => {
      const old = legacySeal(a, 'word', 'ctx');
      const ring = createSecretBox([
        { id: 'b', key: b },
        { id: 'default', key: a },
      ]);
      expect(ring.keyIdOf(old)).toBeNull();
      expect(ring.open(old, 'ctx')).toBe('word');
      expect(() => createSecretBox([{ id: 'b', key: b }]).open(old, 'ctx')).toThrow(/wrong key/);
    });

    it('When a key id is changed in a sealed value, then it does not open with the other key', () => {
      const ring = createSecretBox([
        { id: 'b', key: b },
        { id: 'a', key: a },
      ]);
      const relabelled = ring.seal('x', 'ctx').replace(/^v2\.b\./, 'v2.a.');
      expect(() => ring.open(relabelled, 'ctx')).toThrow(/wrong key/);
    });

    it('When SECRETS_KEYS and SECRETS_KEY are read, then SECRETS_KEYS comes first and SECRETS_KEY is the key "default"', () => {
      expect(keyringOf(`new:${b}, old:${a}`, undefined)).toEqual([
        { id: 'new', key: b },
        { id: 'old', key: a },
      ]);
      expect(keyringOf(`new:${b}`, a)).toEqual([
        { id: 'new', key: b },
        { id: 'default', key: a },
      ]);
      expect(keyringOf(undefined, a)).toEqual([{ id: 'default', key: a }]);
      // the same key listed again is not a second entry
      expect(keyringOf(`old:${a}`, a)).toEqual([{ id: 'old', key: a }]);
    });

    it('When the worker is configured, then SECRETS_KEYS alone will do, one of the two is required, and a bad key is named by variable', () => {
      const env = { DATABASE_URL: 'postgres://u:p@db:5432/payments', PUBLIC_URL: 'https://pay.example' };
      expect(loadWorkerConfig({ ...env, SECRETS_KEYS: `k2:${b},k1:${a}` }).secretsKeyring).toEqual([
        { id: 'k2', key: b },
        { id: 'k1', key: a },
      ]);
      expect(() => loadWorkerConfig(env)).toThrow('SECRETS_KEY: required (or SECRETS_KEYS)');
      const short = randomBytes(16).toString('base64');
      expect(() => loadWorkerConfig({ ...env, SECRETS_KEYS: `k2:${short}` })).toThrow(
        'SECRETS_KEYS: The secrets key k2 must be 32 bytes',
      );
    });

    it('When the keyring is malformed, then it is refused with a reason that shows no key', () => {
      expect(() => keyringOf(undefined, undefined)).toThrow('The keyring has no key');
      expect(() => keyringOf(b, undefined)).toThrow('Each entry must be id:base64key');
      expect(() => keyringOf(`a:${a},a:${b}`, undefined)).toThrow('Key id a is given twice');
      expect(() => keyringOf(`a.1:${a}`, undefined)).toThrow(/Key id "a.1"/);
      const short = randomBytes(16).toString('base64');
      expect(() => keyringOf(`a:${short}`, undefined)).toThrow('The secrets key a must be 32 bytes');
      try {
        keyringOf(`a:${short}`, undefined);
      } catch (err) {
        expect((err as Error).message).not.toContain(short);
      }
    });
  });
});
