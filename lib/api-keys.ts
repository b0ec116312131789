import type { Knex } from 'knex';
import { apiKeyPrefix, hashApiKey, newApiKey, newId } from './ids';
import { isLive, type MerchantRow } from './merchants';

/** One API key of a merchant (migrations/20261130000030_create_api_keys.ts); the key itself is never stored. */
export interface ApiKeyRow {
  id: string;
  merchant_id: string;
  /** The key's mode: it sees and makes only rows of this mode (migrations/20261202000400_test_and_live_mode.ts). */
  livemode: boolean;
  key_hash: string;
  prefix: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

/** How long a rotated-away key keeps working unless told otherwise: a day for integrations to switch. */
export const DEFAULT_OVERLAP_SECONDS = 86_400;
/** The longest overlap: a leaked key being rotated away must not live on for long. */
export const MAX_OVERLAP_SECONDS = 7 * 86_400;
/** Keys that work at once, per merchant: rotation leaves two; more means keys are being made and forgotten. */
export const MAX_WORKING_KEYS = 10;

/** Why a presented key was refused: `merchant_disabled` only once the key itself is valid. */
export type ApiKeyRefusal = 'unknown' | 'expired' | 'revoked' | 'merchant_disabled';

export type ApiKeyCheck = { ok: true; merchant: MerchantRow; key: ApiKeyRow } | { ok: false; reason: ApiKeyRefusal };

// key_expired and key_stale are judged by the database's clock in the lookup itself: every api replica agrees.
type Joined = MerchantRow & {
  key_id: string;
  key_livemode: boolean;
  key_prefix: string;
  key_created_at: Date;
  key_expires_at: Date | null;
  key_revoked_at: Date | null;
  key_last_used_at: Date | null;
  key_expired: boolean;
  key_stale: boolean;
};

/**
 * The one check of a presented API key, for the API (`requireMerchant`) and the dashboard sign-in: found by its hash
 * only (a unique index; the key is never compared), refused when revoked, expired or its merchant disabled. An
 * accepted key's `last_used_at` is written when it is a minute old or more: one write a minute per key, not per call.
 */
export async function checkApiKey(db: Knex, presented: string): Promise<ApiKeyCheck> {
  const keyHash = hashApiKey(presented);
  const row = await db('api_keys as k')
    .join('merchants as m', 'm.id', 'k.merchant_id')
    .where('k.key_hash', keyHash)
    .first<Joined | undefined>(
      'm.*',
      'k.id as key_id',
      'k.livemode as key_livemode',
      'k.prefix as key_prefix',
      'k.created_at as key_created_at',
      'k.expires_at as key_expires_at',
      'k.revoked_at as key_revoked_at',
      'k.last_used_at as key_last_used_at',
      db.raw('coalesce(k.expires_at <= now(), false) as key_expired'),
      db.raw("(k.last_used_at is null or k.last_used_at < now() - interval '1 minute') as key_stale"),
    );
  if (!row) return { ok: false, reason: 'unknown' };
  const {
    key_id: id,
    key_livemode: livemode,
    key_prefix: prefix,
    key_created_at: createdAt,
    key_expires_at: expiresAt,
    key_revoked_at: revokedAt,
    key_last_used_at: lastUsedAt,
    key_expired: expired,
    key_stale: stale,
    ...merchant
  } = row;
  if (revokedAt) return { ok: false, reason: 'revoked' };
  if (expired) return { ok: false, reason: 'expired' };
  if (merchant.disabled_at) return { ok: false, reason: 'merchant_disabled' };

  const key: ApiKeyRow = {
    id,
    merchant_id: merchant.id,
    livemode,
    key_hash: keyHash,
    prefix,
    created_at: createdAt,
    expires_at: expiresAt,
    revoked_at: revokedAt,
    last_used_at: lastUsedAt,
  };
  if (stale) {
    // Conditional, so concurrent first calls of the minute write once.
    const [touched] = await db<ApiKeyRow>('api_keys')
      .where({ id })
      .whereRaw("(last_used_at is null or last_used_at < now() - interval '1 minute')")
      .update({ last_used_at: db.fn.now() as unknown as Date })
      .returning('last_used_at');
    if (touched) key.last_used_at = touched.last_used_at;
  }
  return { ok: true, merchant, key };
}

/** A new key of `livemode` for the merchant, inside the caller's transaction; the key itself is in this answer only. */
export async function insertApiKey(
  trx: Knex,
  merchantId: string,
  livemode: boolean,
): Promise<{ row: ApiKeyRow; apiKey: string }> {
  const apiKey = newApiKey(livemode);
  const [row] = await trx<ApiKeyRow>('api_keys')
    .insert({
      id: newId('key'),
      merchant_id: merchantId,
      livemode,
      key_hash: hashApiKey(apiKey),
      prefix: apiKeyPrefix(apiKey),
    })
    .returning('*');
  return { row: row!, apiKey };
}

/** Who changed a merchant's access: the admin, or one of the merchant's keys (`key_… (sk_…)`, never the key). */
export interface AccessActor {
  readonly type: 'admin' | 'api_key';
  readonly name: string;
}
export const keyActor = (k: Pick<ApiKeyRow, 'id' | 'prefix'>): AccessActor => ({
  type: 'api_key',
  name: `${k.id} (${k.prefix})`,
});

/** Key changes of one merchant run one at a time (its row locked), so "the last working key" is judged alone. */
async function lockMerchant(trx: Knex.Transaction, merchantId: string): Promise<MerchantRow | undefined> {
  return trx<MerchantRow>('merchants').where({ id: merchantId }).forUpdate().first();
}

export type ApiKeyState = 'active' | 'expiring' | 'expired' | 'revoked';
export type ListedApiKey = ApiKeyRow & { state: ApiKeyState };

/** Keys with their state by the database's clock, as `checkApiKey` judges them (in a transaction: at its start). */
const withState = (db: Knex) =>
  db<ApiKeyRow>('api_keys').select<ListedApiKey[]>(
    '*',
    db.raw(`case when revoked_at is not null then 'revoked'
                 when expires_at <= now() then 'expired'
                 when expires_at is not null then 'expiring'
                 else 'active' end as state`),
  );

/** Keys that still work now: not revoked, not expired. */
const working = <Q extends Knex.QueryBuilder>(q: Q): Q =>
  q.whereNull('revoked_at').whereRaw('(expires_at is null or expires_at > now())') as Q;

/** The merchant's working keys of a mode as the audit names them: `key_… (sk_…)`, and `until …` when expiring. */
async function workingKeyNames(trx: Knex, merchantId: string, livemode: boolean): Promise<string[]> {
  const keys: ApiKeyRow[] = await working(
    trx<ApiKeyRow>('api_keys').where({ merchant_id: merchantId, livemode }),
  ).orderBy(['created_at', 'id']);
  return keys.map((k) => `${k.id} (${k.prefix})${k.expires_at ? ` until ${k.expires_at.toISOString()}` : ''}`);
}
/** One audit value, a string as the table's other values are. */
const named = (keys: string[]) => keys.join(', ') || 'none';

/**
 * Writes a change of access into the merchant's audit (merchant_settings_changes, beside its 2Checkout settings), in
 * the change's transaction: `{from, to}` per field, as that table keeps plain values.
 */
async function audit(
  trx: Knex,
  merchantId: string,
  actor: AccessActor,
  changes: Record<string, { from: string | boolean; to: string | boolean }>,
): Promise<void> {
  await trx('merchant_settings_changes').insert({
    merchant_id: merchantId,
    actor_type: actor.type,
    actor: actor.name,
    fields: Object.keys(changes),
    changes: JSON.stringify(changes),
  });
}

/**
 * Signs out every dashboard session of the merchant (they carry this version): one signed in with a key revoked now
 * must not outlive it, and a disabled merchant's must not come back when it is enabled.
 */
async function endDashboardSessions(trx: Knex, merchantId: string): Promise<void> {
  await trx('merchants').where({ id: merchantId }).increment('dashboard_session_version', 1);
}

export type RotateResult =
  { ok: true; created: ListedApiKey; apiKey: string; previous: ListedApiKey } | { ok: false; reason: 'too_many_keys' };

/** The audited field of a mode's keys: `apiKeys` (live, as before modes) or `testApiKeys`. */
const keysField = (livemode: boolean) => (livemode ? 'apiKeys' : 'testApiKeys');

/**
 * Rotation: a new key of the calling key's mode, and the calling key set to expire after `overlapSeconds` (0: at
 * once), so an integration can switch without downtime. An expiry already nearer is kept: rotating never lengthens a
 * key's life.
 */
export async function rotateApiKey(
  db: Knex,
  merchantId: string,
  calling: Pick<ApiKeyRow, 'id' | 'prefix' | 'livemode'>,
  overlapSeconds: number,
): Promise<RotateResult> {
  const { livemode } = calling;
  return db.transaction(async (trx) => {
    await lockMerchant(trx, merchantId);
    const before = await workingKeyNames(trx, merchantId, livemode);
    if (before.length >= MAX_WORKING_KEYS) return { ok: false, reason: 'too_many_keys' };
    const { row, apiKey } = await insertApiKey(trx, merchantId, livemode);
    await trx<ApiKeyRow>('api_keys')
      .where({ id: calling.id, merchant_id: merchantId })
      .update({
        expires_at: trx.raw("least(coalesce(expires_at, 'infinity'::timestamptz), now() + make_interval(secs => ?))", [
          overlapSeconds,
        ]) as unknown as Date,
      });
    await audit(trx, merchantId, keyActor(calling), {
      [keysField(livemode)]: { from: named(before), to: named(await workingKeyNames(trx, merchantId, livemode)) },
    });
    const keys = await withState(trx).whereIn('id', [row.id, calling.id]);
    const byId = (id: string) => keys.find((k) => k.id === id)!;
    return { ok: true, created: byId(row.id), apiKey, previous: byId(calling.id) };
  });
}

export type RevokeResult = { ok: true; key: ListedApiKey } | { ok: false; reason: 'not_found' | 'last_key' };

/**
 * Revokes one key of the merchant's `livemode` at once (a key of the other mode is not found: a test key cannot
 * touch live keys), and ends its dashboard sessions (a session does not say which key opened it). The mode's last
 * working key without an expiry is kept (`last_key`): revoking it would leave nothing to call the API or sign in
 * with, and only the admin could let the merchant back in. A key already revoked: no change.
 */
export async function revokeApiKey(
  db: Knex,
  merchantId: string,
  livemode: boolean,
  keyId: string,
  actor: AccessActor,
): Promise<RevokeResult> {
  return db.transaction(async (trx) => {
    await lockMerchant(trx, merchantId);
    const key = await withState(trx).where({ id: keyId, merchant_id: merchantId, livemode }).first();
    if (!key) return { ok: false, reason: 'not_found' };
    if (key.state === 'revoked') return { ok: true, key };
    const lasting = await working(
      trx<ApiKeyRow>('api_keys').where({ merchant_id: merchantId, livemode }).whereNull('expires_at'),
    )
      .whereNot({ id: keyId })
      .first<Pick<ApiKeyRow, 'id'> | undefined>('id');
    if (key.expires_at === null && !lasting) return { ok: false, reason: 'last_key' };
    const before = await workingKeyNames(trx, merchantId, livemode);
    await trx<ApiKeyRow>('api_keys')
      .where({ id: keyId })
      .update({ revoked_at: trx.fn.now() as unknown as Date });
    await endDashboardSessions(trx, merchantId);
    await audit(trx, merchantId, actor, {
      [keysField(livemode)]: { from: named(before), to: named(await workingKeyNames(trx, merchantId, livemode)) },
    });
    return { ok: true, key: (await withState(trx).where({ id: keyId }).first())! };
  });
}

/**
 * The admin's answer to a leaked key: every key of the merchant, of both modes, revoked at once, its dashboard
 * sessions ended, and one new key per mode (answered once, to hand to the merchant), so the merchant is never left
 * without a way back in. Undefined: no such merchant.
 */
export async function replaceAllApiKeys(
  db: Knex,
  merchantId: string,
): Promise<
  | {
      revoked: ApiKeyRow[];
      created: { live: ApiKeyRow; test: ApiKeyRow };
      apiKeys: { live: string; test: string };
      /** Whether the merchant has a live setup. */
      merchantLive: boolean;
    }
  | undefined
> {
  return db.transaction(async (trx) => {
    const merchant = await lockMerchant(trx, merchantId);
    if (!merchant) return undefined;
    const before = [await workingKeyNames(trx, merchantId, true), await workingKeyNames(trx, merchantId, false)];
    const revoked: ApiKeyRow[] = await working(trx<ApiKeyRow>('api_keys').where({ merchant_id: merchantId }))
      .update({ revoked_at: trx.fn.now() as unknown as Date })
      .returning('*');
    const live = await insertApiKey(trx, merchantId, true);
    const test = await insertApiKey(trx, merchantId, false);
    await endDashboardSessions(trx, merchantId);
    await audit(
      trx,
      merchantId,
      { type: 'admin', name: 'admin' },
      {
        apiKeys: { from: named(before[0]!), to: named(await workingKeyNames(trx, merchantId, true)) },
        testApiKeys: { from: named(before[1]!), to: named(await workingKeyNames(trx, merchantId, false)) },
      },
    );
    return {
      revoked,
      created: { live: live.row, test: test.row },
      apiKeys: { live: live.apiKey, test: test.apiKey },
      merchantLive: isLive(merchant),
    };
  });
}

/**
 * The admin disables (`reason` given or not) or enables the merchant. Disabling ends its dashboard sessions, so
 * enabling it again does not bring them back; disabling twice keeps the first time. Undefined: no such merchant.
 */
export async function setMerchantDisabled(
  db: Knex,
  merchantId: string,
  disable: { reason?: string } | false,
): Promise<MerchantRow | undefined> {
  return db.transaction(async (trx) => {
    const before = await lockMerchant(trx, merchantId);
    if (!before) return undefined;
    const [after] = await trx<MerchantRow>('merchants')
      .where({ id: merchantId })
      .update(
        disable
          ? {
              disabled_at: trx.raw('coalesce(disabled_at, now())') as unknown as Date,
              ...(disable.reason !== undefined && { disabled_reason: disable.reason }),
            }
          : { disabled_at: null, disabled_reason: null },
      )
      .returning('*');
    if (disable) await endDashboardSessions(trx, merchantId);
    // The reason is not audited: the merchant reads its audit (GET /v1/merchant/settings-changes), and ops the log.
    const [was, is] = [before.disabled_at !== null, after!.disabled_at !== null];
    if (was !== is) await audit(trx, merchantId, { type: 'admin', name: 'admin' }, { disabled: { from: was, to: is } });
    return after;
  });
}

/**
 * Every key of the merchant's `livemode`, newest first: the last 100, more than any merchant rotates, bounded for a
 * runaway one. A key sees its own mode's keys only.
 */
export async function listApiKeys(db: Knex, merchantId: string, livemode: boolean): Promise<ListedApiKey[]> {
  return withState(db)
    .where({ merchant_id: merchantId, livemode })
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(100);
}
