import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encryption at rest for merchant secrets (2Checkout Secret Key, Buy-link Secret Word, webhook secret): AES-256-GCM
 * with a random 96-bit nonce. Stored as `v1.<nonce>.<tag>.<ciphertext>` (base64url). The `context` (e.g.
 * `merchants.secret_key:mer_123`) is authenticated too, so a ciphertext copied to another column or row fails.
 */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
}

export class SecretBoxError extends Error {
  readonly code = 'SECRET_UNREADABLE';
}

export function createSecretBox(base64Key: string): SecretBox {
  const key = Buffer.from(base64Key, 'base64');
  if (key.length !== 32) throw new SecretBoxError('The secrets key must be 32 bytes');
  return {
    seal(plaintext, context) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', nonce, cipher.getAuthTag(), ciphertext]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    open(sealed, context) {
      const [version, nonce, tag, ciphertext, ...rest] = sealed.split('.');
      if (version !== 'v1' || nonce === undefined || tag === undefined || ciphertext === undefined || rest.length > 0) {
        throw new SecretBoxError('Not a sealed secret');
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'))
          .setAAD(Buffer.from(context, 'utf8'))
          .setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        throw new SecretBoxError('Secret cannot be opened: wrong key, wrong context or tampered');
      }
    },
  };
}
