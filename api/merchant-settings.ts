import type { Knex } from 'knex';
import { isLive, openMerchant, type MerchantRow } from '../lib/merchants';
import type { SecretBox } from '../lib/secret-box';
import type { ApiDeps } from './deps';
import { sandboxDisabled } from './errors';

/** Who changed a merchant's settings: the admin, a merchant API key (its prefix), or a dashboard session. */
export interface SettingsActor {
  readonly type: 'admin' | 'api_key' | 'dashboard';
  /** `admin`, or the key's id and first characters, e.g. `key_4k7… (sk_TeZL)`; never the key. */
  readonly name: string;
}

/** A row of merchant_settings_changes (migrations/…_create_merchant_settings_changes.ts). */
export interface SettingsChangeRow {
  id: number;
  merchant_id: string;
  actor_type: SettingsActor['type'];
  actor: string;
  fields: string[];
  changes: Record<string, { from?: string | boolean | null; to?: string | boolean | null; changed?: true }>;
  created_at: Date;
}

/** The audited settings, by their API names: plain values keep from and to; secrets only that they changed. */
const PLAIN = {
  merchantCode: 'twocheckout_merchant_code',
  environment: 'twocheckout_environment',
  testOrders: 'accept_test_orders',
  allowMd5Ipn: 'allow_md5_ipn',
  liveMerchantCode: 'live_twocheckout_merchant_code',
  liveAllowMd5Ipn: 'live_allow_md5_ipn',
} as const satisfies Record<string, keyof MerchantRow>;
const SECRET = ['secretKey', 'buyLinkSecretWord'] as const;
/** The live setup's secrets, audited by these names. */
const LIVE_SECRET = { liveSecretKey: 'secretKey', liveBuyLinkSecretWord: 'buyLinkSecretWord' } as const;

/** `sandbox` only where the deployment enables it (SANDBOX_ENABLED): otherwise a 422, before anything is written. */
export function checkEnvironmentAllowed(deps: Pick<ApiDeps, 'config'>, environment: string | undefined): void {
  if (environment === 'sandbox' && !deps.config.sandboxEnabled) throw sandboxDisabled();
}

/**
 * Updates a merchant and audits what of its 2Checkout settings changed, in one transaction: the row is locked, so
 * the audit compares with exactly the values replaced.
 */
export async function updateMerchantAudited(
  deps: Pick<ApiDeps, 'db' | 'secretBox'>,
  merchantId: string,
  actor: SettingsActor,
  update: Partial<MerchantRow>,
): Promise<MerchantRow> {
  return deps.db.transaction(async (trx) => {
    const before = await trx<MerchantRow>('merchants').where({ id: merchantId }).forUpdate().first();
    const [after] = await trx<MerchantRow>('merchants').where({ id: merchantId }).update(update).returning('*');
    await recordSettingsChange(trx, deps.secretBox, before ?? null, after!, actor);
    return after!;
  });
}

/**
 * Writes the audit row of one change (`before` null: the merchant was just created), when any audited setting
 * differs. Secrets are opened to be compared, and only their names are written.
 */
export async function recordSettingsChange(
  trx: Knex,
  box: SecretBox,
  before: MerchantRow | null,
  after: MerchantRow,
  actor: SettingsActor,
): Promise<void> {
  const changes: SettingsChangeRow['changes'] = {};
  for (const [name, column] of Object.entries(PLAIN)) {
    if (before === null && after[column] === null) continue; // not live yet: nothing to say
    if (before === null || before[column] !== after[column])
      changes[name] = { ...(before !== null && { from: before[column] }), to: after[column] };
  }
  const was = before && openMerchant(before, box, false);
  const now = openMerchant(after, box, false);
  for (const name of SECRET) if (was === null || was[name] !== now[name]) changes[name] = { changed: true };
  const wasLive = before && isLive(before) ? openMerchant(before, box, true) : null;
  const nowLive = isLive(after) ? openMerchant(after, box, true) : null;
  for (const [name, secret] of Object.entries(LIVE_SECRET))
    if (nowLive !== null && (wasLive === null || wasLive[secret] !== nowLive[secret]))
      changes[name] = { changed: true };
  const fields = Object.keys(changes);
  if (fields.length === 0) return;
  await trx('merchant_settings_changes').insert({
    merchant_id: after.id,
    actor_type: actor.type,
    actor: actor.name,
    fields,
    changes: JSON.stringify(changes),
  });
}

/** A merchant's settings changes, newest first. */
export async function listSettingsChanges(db: Knex, merchantId: string, limit: number): Promise<SettingsChangeRow[]> {
  return db<SettingsChangeRow>('merchant_settings_changes')
    .where({ merchant_id: merchantId })
    .orderBy('id', 'desc')
    .limit(limit);
}

/** The audited fields of the live setup and keys; `disabled` concerns both modes; every other field the test ones. */
const LIVE_FIELDS = new Set(['liveMerchantCode', 'liveAllowMd5Ipn', ...Object.keys(LIVE_SECRET), 'apiKeys']);
const BOTH_FIELDS = new Set(['disabled']);

/**
 * The changes a key (or dashboard session) of `livemode` is shown: its own mode's settings and keys, and what
 * concerns both; a change of only the other mode's is left out, so a test key learns nothing of the live setup.
 */
export function changesOfMode(changes: readonly SettingsChangeRow[], livemode: boolean): SettingsChangeRow[] {
  const mine = (field: string) => BOTH_FIELDS.has(field) || LIVE_FIELDS.has(field) === livemode;
  return changes
    .map((c) => ({
      ...c,
      fields: c.fields.filter(mine),
      changes: Object.fromEntries(Object.entries(c.changes).filter(([field]) => mine(field))),
    }))
    .filter((c) => c.fields.length > 0);
}

export function settingsChangeView(c: SettingsChangeRow) {
  return {
    id: c.id,
    at: c.created_at.toISOString(),
    actor: { type: c.actor_type, name: c.actor },
    fields: c.fields,
    changes: c.changes,
  };
}
