import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encryption at rest for merchant secrets (2Checkout Secret Key, Buy-link Secret Word, webhook secret): AES-256-GCM
 * with a random 96-bit nonce and a 128-bit tag, under a keyring so that the key can be rotated. Stored as
 * `v2.<keyId>.<nonce>.<tag>.<ciphertext>` (base64url); values written before key ids, `v1.<nonce>.<tag>.<ciphertext>`,
 * still open with whichever key of the ring sealed them. The `context` (e.g. `merchants.secret_key:mer_123`) is
 * authenticated too, so a ciphertext copied to another column or row fails.
 */
export interface SecretBox {
  /** Seals with the ring's first key, naming it in the envelope. */
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
  /** The id of the key that seals. */
  readonly sealingKeyId: string;
  /** The key id a sealed value names; null for a value sealed before key ids (v1). */
  keyIdOf(sealed: string): string | null;
}

/** One key of the ring: 32 bytes, base64, and the id sealed values name it by. */
export interface SecretKey {
  readonly id: string;
  readonly key: string;
}

export class SecretBoxError extends Error {
  readonly code = 'SECRET_UNREADABLE';
}

/** Key ids go inside envelopes and `id:key` lists: no `.`, `:` or `,`. */
export const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
/** The id of SECRETS_KEY, the single key of deployments from before the keyring. */
export const DEFAULT_KEY_ID = 'default';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A box over a keyring: the first key seals, every key opens what names it. A lone base64 key is the ring
 * `[{ id: 'default', key }]`.
 */
export function createSecretBox(keyring: string | readonly SecretKey[]): SecretBox {
  const ring = typeof keyring === 'string' ? [{ id: DEFAULT_KEY_ID, key: keyring }] : keyring;
  if (ring.length === 0) throw new SecretBoxError('The keyring has no key');
  const keys = new Map<string, Buffer>();
  for (const { id, key } of ring) {
    if (!KEY_ID.test(id)) throw new SecretBoxError(`Key id ${JSON.stringify(id)} is not 1–32 of A-Z a-z 0-9 _ -`);
    if (keys.has(id)) throw new SecretBoxError(`Key id ${id} is given twice`);
    const bytes = Buffer.from(key, 'base64');
    if (bytes.length !== 32) throw new SecretBoxError(`The secrets key ${id} must be 32 bytes`);
    keys.set(id, bytes);
  }
  const sealingKeyId = ring[0]!.id;
  const sealingKey = keys.get(sealingKeyId)!;

  function parse(sealed: string) {
    const parts = sealed.split('.');
    const [keyId, nonce, tag, ciphertext] =
      parts[0] === 'v2' && parts.length === 5
        ? [parts[1]!, parts[2]!, parts[3]!, parts[4]!]
        : parts[0] === 'v1' && parts.length === 4
          ? [null, parts[1]!, parts[2]!, parts[3]!]
          : [];
    if (nonce === undefined || tag === undefined || ciphertext === undefined) {
      throw new SecretBoxError('Not a sealed secret');
    }
    return {
      keyId: keyId ?? null,
      nonce: Buffer.from(nonce, 'base64url'),
      tag: Buffer.from(tag, 'base64url'),
      ciphertext: Buffer.from(ciphertext, 'base64url'),
    };
  }

  function decrypt(key: Buffer, nonce: Buffer, tag: Buffer, ciphertext: Buffer, context: string): string | undefined {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
        .setAAD(Buffer.from(context, 'utf8'))
        .setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }

  return {
    sealingKeyId,
    seal(plaintext, context) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', sealingKey, nonce, { authTagLength: TAG_BYTES }).setAAD(
        Buffer.from(context, 'utf8'),
      );
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v2', sealingKeyId, ...[nonce, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'))].join(
        '.',
      );
    },
    open(sealed, context) {
      const { keyId, nonce, tag, ciphertext } = parse(sealed);
      // GCM takes other lengths without complaint; a shorter tag is a weaker (forgeable) one
      if (nonce.length !== NONCE_BYTES || tag.length !== TAG_BYTES) {
        throw new SecretBoxError(
          `Not a sealed secret: the nonce must be ${NONCE_BYTES} bytes and the tag ${TAG_BYTES}`,
        );
      }
      let candidates: Buffer[];
      if (keyId === null) candidates = [...keys.values()];
      else {
        const key = keys.get(keyId);
        if (!key) throw new SecretBoxError(`Secret sealed with key ${keyId}, which is not in the keyring`);
        candidates = [key];
      }
      for (const key of candidates) {
        const plaintext = decrypt(key, nonce, tag, ciphertext, context);
        if (plaintext !== undefined) return plaintext;
      }
      throw new SecretBoxError('Secret cannot be opened: wrong key, wrong context or tampered');
    },
    keyIdOf(sealed) {
      return parse(sealed).keyId;
    },
  };
}

/**
 * The keyring of a process: `SECRETS_KEYS` (`id:base64key,…`, the first seals) then `SECRETS_KEY` as the key
 * `default`, unless the same key is already listed. Throws SecretBoxError when the result is empty or malformed.
 */
export function keyringOf(secretsKeys: string | undefined, secretsKey: string | undefined): SecretKey[] {
  const ring: SecretKey[] = (secretsKeys ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const colon = entry.indexOf(':');
      if (colon < 0) throw new SecretBoxError('Each entry must be id:base64key');
      return { id: entry.slice(0, colon).trim(), key: entry.slice(colon + 1).trim() };
    });
  if (
    secretsKey !== undefined &&
    !ring.some((k) => Buffer.from(k.key, 'base64').equals(Buffer.from(secretsKey, 'base64')))
  )
    ring.push({ id: DEFAULT_KEY_ID, key: secretsKey });
  createSecretBox(ring); // every key and id checked here, at start-up
  return ring;
}
