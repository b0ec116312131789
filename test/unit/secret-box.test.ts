import { randomBytes } from 'node:crypto';
import { createSecretBox, SecretBoxError } from '../../lib/secret-box';

describe('secret box (AES-256-GCM at rest)', () => {
  const key = randomBytes(32).toString('base64');
  const box = createSecretBox(key);

  it('When a secret is sealed, then only the same key and context open it, and the plaintext is not in the output', () => {
    const sealed = box.seal('9V#x2!kQ@7pLz$4mW&tR', 'merchants.secret_key:mer_1');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
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
    const [v, n, t, c] = box.seal('secret', 'c').split('.');
    const flipped = Buffer.from(c!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => box.open([v, n, t, flipped.toString('base64url')].join('.'), 'c')).toThrow(SecretBoxError);
    expect(() => box.open('plaintext', 'c')).toThrow(SecretBoxError);
  });

  it('When the key is not 32 bytes, then the box is not made', () => {
    expect(() => createSecretBox(randomBytes(16).toString('base64'))).toThrow(SecretBoxError);
  });
});
