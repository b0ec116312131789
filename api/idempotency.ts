import { createHash, randomUUID } from 'node:crypto';
import type { Response } from 'express';
import stableStringify from 'fast-json-stable-stringify';
import type { Knex } from 'knex';
import type { ApiDeps } from './deps';
import { HttpError } from './errors';

/**
 * The one idempotency layer of the API (the IETF draft "The Idempotency-Key HTTP Header Field"), used by
 * `POST /v1/invoices`, `POST /v1/invoices/{id}/refunds` and the dashboard's refund form. A key is claimed before the
 * request runs; the first successful answer is stored with it, byte for byte, and every replay within the retention
 * answers exactly that, with `Idempotent-Replayed: true`. The invoice and refund code never sees keys: it only
 * records what it made (`IdempotencyClaim.record`), so that a retry after a failure finishes it instead of making
 * another.
 */

/** How long a key and its first answer are kept, from the first request (README "Idempotency"). */
export const IDEMPOTENCY_KEY_RETENTION_MS = 24 * 3600_000;

/**
 * A key in flight for longer than this belongs to a request that died (the api process crashed, the database went
 * away before the key was let go): the next request with it takes over. Far longer than any request takes.
 */
export const IN_FLIGHT_LEASE_MS = 60_000;

/** The header's form: a bare token or a Structured Field string (`"…"`); either way the whole value is the key. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface IdempotentRequest {
  readonly merchantId: string;
  /** The calling key's mode: a test key's Idempotency-Key never answers with a live request's answer, nor the reverse. */
  readonly livemode: boolean;
  readonly key: string;
  /** Two requests are the same when method, path and the validated body (in any key order) are. */
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

/** What the request holding a key is told, and how it records what it made. */
export interface IdempotencyClaim {
  /** The invoice or refund an earlier attempt with this key recorded before it failed (a 503, a crash): finish it. */
  readonly recorded: string | null;
  /** Records the resource in the transaction that makes it: both commit, or neither. */
  record(trx: Knex.Transaction, resourceId: string): Promise<void>;
}

/** Requests without a key (the public order link, `POST /v1/invoices` without the header). */
export const NO_IDEMPOTENCY_KEY: IdempotencyClaim = { recorded: null, record: async () => {} };

/** The answer to send: the JSON text of the first answer, and whether this is a replay of it. */
export interface IdempotentAnswer {
  readonly status: number;
  readonly body: string;
  readonly replayed: boolean;
}

interface KeyRow {
  merchant_id: string;
  livemode: boolean;
  key: string;
  fingerprint: string;
  state: 'in_flight' | 'done';
  resource_id: string | null;
  lock_token: string | null;
  locked_until: Date | null;
  response_status: number | null;
  response_body: string | null;
  created_at: Date;
  expires_at: Date;
}

/** PostgreSQL's lock_not_available, what FOR UPDATE NOWAIT answers for a row another transaction holds. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * A key from before this layer (migration 20261202000401): its request is known only by method and path, and it
 * recorded its invoice or refund, which a retry on the same path finishes and answers.
 */
const LEGACY_FINGERPRINT = (r: IdempotentRequest) => `legacy ${r.method.toUpperCase()} ${r.path}`;

const fingerprintOf = (r: IdempotentRequest) =>
  createHash('sha256')
    .update(`${r.method.toUpperCase()} ${r.path}\n${stableStringify(r.body)}`)
    .digest('hex');

/**
 * Runs `run` once per key: a replay answers the stored first answer; the same key with another request is refused
 * (422 `idempotency_key_reused`); while the first is still running, 409 `idempotency_key_in_flight`, at once. Only a
 * success is kept: a request that fails (4xx or 5xx) lets its key go, so the caller may retry it — corrected, or
 * unchanged after a 503 — unless it recorded an invoice or refund first, which the retry then finishes.
 */
export async function idempotent(
  deps: Pick<ApiDeps, 'db' | 'clock' | 'log'>,
  request: IdempotentRequest,
  run: (claim: IdempotencyClaim) => Promise<{ status: number; body: unknown }>,
): Promise<IdempotentAnswer> {
  const fingerprint = fingerprintOf(request);
  const token = randomUUID();
  const mine = () =>
    deps
      .db<KeyRow>('idempotency_keys')
      .where({ merchant_id: request.merchantId, livemode: request.livemode, key: request.key });
  const held = await claim(deps, request, fingerprint, token);
  if (held.state === 'done') {
    return { status: held.response_status!, body: held.response_body!, replayed: true };
  }
  let answer: { status: number; body: string };
  try {
    const result = await run({
      recorded: held.resource_id,
      async record(trx, resourceId) {
        const updated = await trx<KeyRow>('idempotency_keys')
          .where({ merchant_id: request.merchantId, livemode: request.livemode, key: request.key, lock_token: token })
          .whereNull('resource_id')
          .update({ resource_id: resourceId });
        // Another request took the key over (this one outlived its lease): it makes the resource, not this one.
        if (updated !== 1) throw inFlight();
      },
    });
    answer = { status: result.status, body: JSON.stringify(result.body) };
  } catch (err) {
    await letGo(deps, mine, token).catch(() => undefined); // else the lease runs out, and a retry takes over then
    throw err;
  }
  await mine()
    .where({ lock_token: token })
    .update({
      state: 'done',
      response_status: answer.status,
      response_body: answer.body,
      lock_token: null,
      locked_until: null,
    })
    // The work is done and recorded: answer it. A retry meets the key in flight until the lease runs out, then
    // takes it over and finishes (a no-op) what this request recorded.
    .catch((err: unknown) =>
      deps.log('could not store an idempotent answer', { key: request.key, error: String(err) }),
    );
  return { ...answer, replayed: false };
}

/** Sends an answer of `idempotent`: the stored JSON text as it is, marked when it is a replay. */
export function sendIdempotent(res: Response, answer: IdempotentAnswer): void {
  if (answer.replayed) res.set('Idempotent-Replayed', 'true');
  res.status(answer.status).type('application/json').send(answer.body);
}

/** Claims the key (forgetting it first if it expired), or answers why not; returns its row. */
async function claim(
  deps: Pick<ApiDeps, 'db' | 'clock'>,
  request: IdempotentRequest,
  fingerprint: string,
  token: string,
): Promise<KeyRow> {
  const now = deps.clock();
  const lease = { lock_token: token, locked_until: new Date(now.getTime() + IN_FLIGHT_LEASE_MS) };
  return deps.db.transaction(async (trx) => {
    const ofKey = () =>
      trx<KeyRow>('idempotency_keys').where({
        merchant_id: request.merchantId,
        livemode: request.livemode,
        key: request.key,
      });
    // NOWAIT: a key row locked now is in the transaction of the request holding it, so in flight; never wait for it
    const locked = () =>
      ofKey()
        .forUpdate()
        .noWait()
        .first()
        .catch((err: unknown) => {
          throw (err as { code?: unknown }).code === LOCK_NOT_AVAILABLE ? inFlight() : err;
        });
    let row = await locked();
    if (row && row.expires_at <= now) {
      await ofKey().delete(); // past its retention: forgotten, so this is a first use again
      row = undefined;
    }
    if (!row) {
      const [claimed] = await trx<KeyRow>('idempotency_keys')
        .insert({
          merchant_id: request.merchantId,
          livemode: request.livemode,
          key: request.key,
          fingerprint,
          state: 'in_flight',
          ...lease,
          created_at: now,
          expires_at: new Date(now.getTime() + IDEMPOTENCY_KEY_RETENTION_MS),
        })
        .onConflict(['merchant_id', 'livemode', 'key'])
        .ignore()
        .returning('*');
      if (claimed) return claimed;
      row = (await locked())!; // another request claimed it a moment ago
    }
    if (row.fingerprint !== fingerprint && row.fingerprint !== LEGACY_FINGERPRINT(request)) {
      throw new HttpError(
        422,
        'idempotency_key_reused',
        'This Idempotency-Key was already used with a different request; use a new key for a new request',
      );
    }
    if (row.state === 'done') return row;
    if (row.locked_until !== null && row.locked_until > now) throw inFlight();
    const [taken] = await ofKey().update(lease).returning('*');
    return taken!;
  });
}

/** After a failure: the key is forgotten, unless the request recorded what it made (then a retry finishes it). */
async function letGo(
  deps: Pick<ApiDeps, 'clock'>,
  mine: () => Knex.QueryBuilder<KeyRow>,
  token: string,
): Promise<void> {
  const forgotten = await mine().where({ lock_token: token }).whereNull('resource_id').delete();
  if (forgotten === 0)
    await mine().where({ lock_token: token }).update({ lock_token: null, locked_until: deps.clock() });
}

const inFlight = () =>
  new HttpError(
    409,
    'idempotency_key_in_flight',
    'A request with this Idempotency-Key is still being handled; retry in a moment with the same key and body',
  );

/** Keys past their retention are deleted (api/ipn.ts's hourly purge); a claim also forgets its own expired key. */
export async function purgeExpiredIdempotencyKeys(deps: Pick<ApiDeps, 'db' | 'clock'>): Promise<number> {
  return deps.db('idempotency_keys').where('expires_at', '<=', deps.clock()).delete();
}
