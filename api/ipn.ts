import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { InvoiceRow } from '../lib/invoice';
import { LRUCache } from 'lru-cache';
import { isLive, openMerchant, type Merchant, type MerchantRow, type ModeScope } from '../lib/merchants';
import { buildReadReceipt, IpnParseError, parseIpn, verifyIpnSignature, type Ipn } from '../lib/twocheckout';
import type { ApiDeps } from './deps';
import { purgeExpiredIdempotencyKeys } from './idempotency';
import type { IpnVerdict } from './metrics';
import { deliverStoredIpn, loadInvoiceRun, type InvoiceRun } from '../lib/invoice-client';

export interface IpnRequest {
  readonly merchantId: string;
  readonly rawBody: Buffer;
  readonly headers: Record<string, unknown>;
  readonly remoteAddr: string | undefined;
}

export interface IpnResponse {
  readonly status: 200 | 400 | 503;
  readonly body: string;
  /** What it came to, for the metrics: more than the answer tells the caller. */
  readonly verdict: IpnVerdict;
  /** Set when the IPN was stored and awaits delivery to its workflow. */
  readonly deliver?: number;
  /** Why a 400 refused it (`malformed` or the signature verdict), for the metrics. */
  readonly rejected?: string;
  /** A verified IPN stored before (same dedup key): acknowledged again, nothing else. */
  readonly duplicate?: boolean;
}

export interface IpnEventRow {
  id: number;
  merchant_id: string;
  /** The mode of the invoice it names (migrations/20261202000400_test_and_live_mode.ts). */
  livemode: boolean;
  raw_body: Buffer;
  raw_body_sha256: string | null;
  raw_body_bytes: number | null;
  headers: unknown;
  remote_addr: string | null;
  verdict: string;
  algorithm: string | null;
  dedup_key: string | null;
  refno: string | null;
  refnoext: string | null;
  order_status: string | null;
  ipn_date: string | null;
  invoice_id: string | null;
  unknown_invoice: boolean;
  delivery_state: 'not_applicable' | 'pending' | 'delivered';
  delivery_attempts: number;
  delivered_at: Date | null;
  outcome: string | null;
  outcome_at: Date | null;
  duplicate_count: number;
  received_at: Date;
  last_received_at: Date;
}

/**
 * How long a merchant read for an IPN serves the next ones: a query and an AES-GCM open saved per IPN. A Secret Key
 * changed through this api takes effect at once; changed through another replica, within this time.
 */
const MERCHANT_TTL_MS = 5_000;

/** A merchant's two 2Checkout setups, opened: an IPN is verified with the one of the invoice it names. */
interface MerchantSetups {
  readonly id: string;
  readonly test: Merchant;
  /** Undefined until the merchant goes live. */
  readonly live: Merchant | undefined;
}
const merchantCaches = new WeakMap<ApiDeps, LRUCache<string, MerchantSetups>>();

async function loadSetups(deps: ApiDeps, merchantId: string): Promise<MerchantSetups | undefined> {
  const row = await deps.db<MerchantRow>('merchants').where({ id: merchantId }).first();
  if (!row) return undefined;
  const box = deps.secretBox;
  return {
    id: row.id,
    test: openMerchant(row, box, false),
    live: isLive(row) ? openMerchant(row, box, true) : undefined,
  };
}

function merchantsOf(deps: ApiDeps): LRUCache<string, MerchantSetups> {
  let cache = merchantCaches.get(deps);
  if (!cache)
    merchantCaches.set(
      deps,
      (cache = new LRUCache<string, MerchantSetups>({
        max: 10_000,
        ttl: MERCHANT_TTL_MS,
        // An unknown merchant is not kept: one registered a moment later is found at once.
        fetchMethod: (merchantId) => loadSetups(deps, merchantId),
      })),
    );
  return cache;
}

/** The merchant's 2Checkout settings changed here: the next IPN reads them again. */
export function forgetMerchant(deps: ApiDeps, merchantId: string): void {
  merchantCaches.get(deps)?.delete(merchantId);
}

/**
 * The one answer to every refused IPN. 2Checkout needs only "no receipt"; naming the verdict, or answering an unknown
 * merchant id otherwise than a bad signature, would tell a prober which ids exist and which check it failed.
 */
const REFUSED = 'IPN refused';
/** What a rejected attempt keeps of its body (with a SHA-256 of the whole): enough to see what was sent. */
const REJECTED_BODY_KEPT = 4096;
/** What a rejected attempt keeps of each field it claims (REFNO, REFNOEXT…), shown in the IPN log. */
const CLAIMED_FIELD_KEPT = 100;

/**
 * DESIGN.md §4: verify the raw bytes, store them durably, then answer with the read receipt. A bad signature is
 * stored as an attempt and answered 400 without a receipt; a database that cannot take the event is answered 503
 * without a receipt, so 2Checkout retries. Nothing is signalled here: the caller delivers after answering.
 *
 * One IPN URL per merchant serves both modes, as 2Checkout has one per account (its test orders come to it too). The
 * invoice the IPN names (REFNOEXT) says which setup verifies it: a live invoice's IPN only with the live Secret Key,
 * a test invoice's only with the test one (the sandbox's, say), so a key of one mode can never confirm a payment of
 * the other. An IPN naming no invoice is verified with either setup, and is kept in the mode of the one that did.
 */
export async function receiveIpn(deps: ApiDeps, req: IpnRequest): Promise<IpnResponse> {
  let merchant: MerchantSetups | undefined;
  try {
    merchant = await merchantsOf(deps).fetch(req.merchantId);
  } catch (err) {
    deps.log('IPN: merchant lookup failed', { merchantId: req.merchantId, error: String(err) });
    return { status: 503, body: 'Temporarily unavailable', verdict: 'unavailable' };
  }
  if (!merchant) return { status: 400, body: REFUSED, verdict: 'unknown_merchant' };

  let ipn: Ipn;
  try {
    ipn = parseIpn(req.rawBody);
  } catch (err) {
    if (!(err instanceof IpnParseError)) throw err;
    await storeRejected(deps, req, 'malformed', null, merchant.live !== undefined);
    return { status: 400, body: REFUSED, verdict: 'rejected', rejected: 'malformed' };
  }

  const refNo = ipn.get('REFNO') ?? '';
  const orderStatus = ipn.get('ORDERSTATUS') ?? '';
  const ipnDate = ipn.get('IPN_DATE') ?? '';
  const refNoExt = ipn.get('REFNOEXT') ?? '';
  let invoice: Pick<InvoiceRow, 'id' | 'livemode'> | undefined;
  try {
    invoice = refNoExt
      ? await deps.db<InvoiceRow>('invoices').where({ id: refNoExt, merchant_id: merchant.id }).first('id', 'livemode')
      : undefined;
  } catch (err) {
    deps.log('IPN: invoice lookup failed', { merchantId: merchant.id, error: String(err) });
    return { status: 503, body: 'Temporarily unavailable', verdict: 'unavailable' };
  }
  // the invoice's own setup; for no invoice, the likelier first (a test order, or no live setup: the test one)
  const candidates = invoice
    ? [invoice.livemode ? merchant.live : merchant.test]
    : ipn.get('TEST_ORDER') === '1' || !merchant.live
      ? [merchant.test, merchant.live]
      : [merchant.live, merchant.test];
  const setups = candidates.filter((m): m is Merchant => m !== undefined);
  let setup = setups[0];
  let verdict = setup ? verifyIpnSignature(ipn, setup.secretKey, { allowMd5: setup.allowMd5Ipn }) : undefined;
  for (const other of setups.slice(1)) {
    if (verdict?.ok) break;
    const again = verifyIpnSignature(ipn, other.secretKey, { allowMd5: other.allowMd5Ipn });
    if (again.ok) [setup, verdict] = [other, again];
  }
  if (!setup || !verdict?.ok) {
    // no setup to check it with (a live invoice of a merchant without a live setup): no key of ours signed it
    const reason = verdict && !verdict.ok ? verdict.reason : 'bad_signature';
    const livemode = invoice?.livemode ?? (setups[0] ?? merchant.test).livemode;
    await storeRejected(deps, req, reason, verdict && !verdict.ok ? (verdict.algorithm ?? null) : null, livemode, ipn);
    return { status: 400, body: REFUSED, verdict: 'rejected', rejected: reason };
  }

  let stored: Pick<IpnEventRow, 'id' | 'delivery_state' | 'duplicate_count'>;
  try {
    if (!invoice)
      deps.log('IPN for no invoice of this merchant: stored and flagged', { merchantId: merchant.id, refNo, refNoExt });
    const [row] = await deps
      .db<IpnEventRow>('ipn_events')
      .insert({
        merchant_id: merchant.id,
        livemode: setup.livemode,
        raw_body: req.rawBody,
        headers: JSON.stringify(req.headers),
        remote_addr: req.remoteAddr ?? null,
        verdict: 'verified',
        algorithm: verdict.algorithm,
        dedup_key: `${refNo}:${orderStatus}:${ipnDate}`,
        refno: refNo,
        refnoext: refNoExt,
        order_status: orderStatus,
        ipn_date: ipnDate,
        invoice_id: invoice?.id ?? null,
        unknown_invoice: !invoice,
        delivery_state: invoice ? 'pending' : 'not_applicable',
      })
      .onConflict(['merchant_id', 'livemode', 'dedup_key'])
      .merge({
        duplicate_count: deps.db.raw('ipn_events.duplicate_count + 1') as unknown as number,
        last_received_at: deps.db.fn.now() as unknown as Date,
      })
      .returning(['id', 'delivery_state', 'duplicate_count']);
    stored = row!;
  } catch (err) {
    deps.log('IPN could not be stored: answered 503 without receipt', {
      merchantId: merchant.id,
      refNo,
      error: String(err),
    });
    return { status: 503, body: 'Temporarily unavailable', verdict: 'unavailable' };
  }
  return {
    status: 200,
    verdict: 'accepted',
    body: buildReadReceipt(ipn, setup.secretKey, verdict.algorithm, deps.clock()),
    ...(stored.delivery_state === 'pending' && { deliver: stored.id }),
    duplicate: stored.duplicate_count > 0,
  };
}

/**
 * A refused attempt is kept for the IPN log; its fields are shown as claimed, never trusted. Only its first 4 KiB and
 * a hash of the whole are kept (fields cut short too), so that unsigned posts cannot fill the database; the IPN relay
 * purges them after REJECTED_IPN_RETENTION_DAYS.
 */
async function storeRejected(
  deps: ApiDeps,
  req: IpnRequest,
  verdict: string,
  algorithm: string | null,
  /** The mode of the invoice it claims; else the setup it was checked against first. */
  livemode: boolean,
  ipn?: Ipn,
): Promise<void> {
  try {
    const claimed = (name: string) => ipn?.get(name)?.slice(0, CLAIMED_FIELD_KEPT) ?? null;
    await deps.db('ipn_events').insert({
      refno: claimed('REFNO'),
      refnoext: claimed('REFNOEXT'),
      order_status: claimed('ORDERSTATUS'),
      ipn_date: claimed('IPN_DATE'),
      merchant_id: req.merchantId,
      livemode,
      raw_body: req.rawBody.subarray(0, REJECTED_BODY_KEPT),
      raw_body_sha256: createHash('sha256').update(req.rawBody).digest('hex'),
      raw_body_bytes: req.rawBody.length,
      headers: JSON.stringify(req.headers),
      remote_addr: req.remoteAddr ?? null,
      verdict,
      algorithm,
      delivery_state: 'not_applicable',
    });
  } catch (err) {
    deps.log('rejected IPN attempt could not be stored', { merchantId: req.merchantId, error: String(err) });
  }
}

const DELIVERY_DEADLINE_MS = 10_000;
/** Signals in flight at once from one pass: enough to hide Temporal's latency, few enough not to flood it. */
const DELIVERY_CONCURRENCY = 16;
/** Stored IPNs one pass delivers at most; the relay takes the rest. */
const DELIVERY_BATCH = 200;

/**
 * Signals stored IPNs to their invoices' workflows and marks each delivered once Temporal has accepted it; a failure
 * leaves it pending for the relay. One query reads them with their invoices, one marks the delivered, one counts the
 * failed attempts. Delivery is at least once; the workflow ignores duplicates by IPN id. Answers how many were
 * delivered.
 */
export async function deliverIpns(deps: ApiDeps, ipnEventIds: readonly number[]): Promise<number> {
  if (ipnEventIds.length === 0) return 0;
  const runs = await pendingInvoiceRuns(deps.db)
    .whereIn('ipn_events.id', ipnEventIds)
    .select<(InvoiceRun & { ipn_event_id: number })[]>('ipn_events.id as ipn_event_id');
  const delivered: number[] = [];
  const failed: number[] = [];
  for (let i = 0; i < runs.length; i += DELIVERY_CONCURRENCY) {
    await Promise.all(
      runs.slice(i, i + DELIVERY_CONCURRENCY).map(async ({ ipn_event_id: ipnEventId, ...invoice }) => {
        try {
          // A Temporal that does not answer must not hold the relay: give up after a while, the relay tries again.
          await deps.temporal.connection.withDeadline(Date.now() + DELIVERY_DEADLINE_MS, () =>
            deliverStoredIpn(deps.temporal, invoice, { ipnEventId }),
          );
          delivered.push(ipnEventId);
        } catch (err) {
          failed.push(ipnEventId);
          deps.log('IPN not yet delivered to its workflow; the relay will retry', { ipnEventId, error: String(err) });
        }
      }),
    );
  }
  if (delivered.length)
    await deps
      .db('ipn_events')
      .whereIn('id', delivered)
      .update({
        delivery_state: 'delivered',
        delivered_at: deps.db.fn.now(),
        delivery_attempts: deps.db.raw('delivery_attempts + 1'),
      });
  if (failed.length) await deps.db('ipn_events').whereIn('id', failed).increment('delivery_attempts', 1);
  return delivered.length;
}

/** Stored IPNs still to deliver, joined with the invoice run each is delivered to (as `loadInvoiceRun` reads it). */
function pendingInvoiceRuns(db: Knex) {
  return db('ipn_events')
    .join('invoices', 'invoices.id', 'ipn_events.invoice_id')
    .join('merchants', 'merchants.id', 'invoices.merchant_id')
    .where('ipn_events.delivery_state', 'pending')
    .select('invoices.*', 'merchants.name as shop');
}

export type ReplayRefusal = 'not_found' | 'not_verified' | 'no_invoice' | 'temporal_unavailable';
export type ReplayResult = { ok: true; invoiceId: string } | { ok: false; reason: ReplayRefusal; message: string };

/** Why a replay was refused, in words for the merchant; the dashboard shows it after a redirect from the reason alone. */
export function replayRefusalMessage(reason: ReplayRefusal, ipnEventId: number): string {
  const not = `IPN ${ipnEventId} was not replayed`;
  switch (reason) {
    case 'not_found':
      return `${not}: there is no such IPN of yours.`;
    case 'not_verified':
      return `${not}: its signature did not verify, so nothing in it can be trusted.`;
    case 'no_invoice':
      return `${not}: it names no invoice of yours, so there is no workflow to hand it to.`;
    case 'temporal_unavailable':
      return `${not}: the invoice's workflow could not be reached (Temporal); try again.`;
  }
}

/**
 * "Replay to workflow": hands a stored, verified IPN of this merchant to its invoice's workflow again, marked
 * `replay: true`, by the same signal-with-start as the first delivery, so a run that has closed is started again.
 * The workflow handles it again even if it has seen it; handling is idempotent, so this changes nothing unless
 * something was missed. Refused for rejected IPNs, IPNs naming no invoice, and other merchants' IPNs.
 */
export async function replayIpnEvent(deps: ApiDeps, scope: ModeScope, ipnEventId: number): Promise<ReplayResult> {
  const merchantId = scope.merchant_id;
  const refuse = (reason: ReplayRefusal): ReplayResult => ({
    ok: false,
    reason,
    message: replayRefusalMessage(reason, ipnEventId),
  });
  const event = await deps
    .db<IpnEventRow>('ipn_events')
    .where({ id: ipnEventId, ...scope })
    .first();
  if (!event) return refuse('not_found');
  if (event.verdict !== 'verified') return refuse('not_verified');
  const invoice = event.invoice_id === null ? undefined : await loadInvoiceRun(deps.db, event.invoice_id);
  if (!invoice || invoice.merchant_id !== merchantId) return refuse('no_invoice');
  try {
    await deps.temporal.connection.withDeadline(Date.now() + DELIVERY_DEADLINE_MS, () =>
      deliverStoredIpn(deps.temporal, invoice, { ipnEventId: event.id, replay: true }),
    );
  } catch (err) {
    deps.log('IPN replay could not reach the workflow', { ipnEventId, error: String(err) });
    return refuse('temporal_unavailable');
  }
  // Delivered now, if it never was: the relay need not send it again.
  await deps
    .db('ipn_events')
    .where({ id: event.id })
    .update({
      delivery_state: 'delivered',
      delivered_at: deps.db.raw('coalesce(delivered_at, now())'),
      delivery_attempts: deps.db.raw('delivery_attempts + 1'),
    });
  deps.log('IPN replayed to its workflow', { ipnEventId, invoiceId: invoice.id });
  return { ok: true, invoiceId: invoice.id };
}

/**
 * The fast path: stored IPNs are delivered right after their receipts went out, without holding the answers. IPNs
 * received while a pass runs wait for the next, so under load each pass carries many (one query, one update) and
 * receipt never waits on Temporal. Beyond one batch waiting, the relay delivers them. Stopping waits for the pass in
 * flight (within DELIVERY_DEADLINE_MS): a Temporal call cut off by closing the connection would retry on a closed
 * channel.
 */
class FastPath {
  private waiting = new Set<number>();
  private pass: Promise<void> | undefined;

  constructor(private readonly deps: ApiDeps) {}

  add(ipnEventId: number): void {
    if (this.waiting.size >= DELIVERY_BATCH) return; // the relay's, in a second
    this.waiting.add(ipnEventId);
    this.pass ??= this.run();
  }

  private async run(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve)); // the IPNs answered in this turn go together
    while (this.waiting.size) {
      const ids = [...this.waiting];
      this.waiting.clear();
      await deliverIpns(this.deps, ids).catch((err: unknown) =>
        this.deps.log('IPN fast path failed; the relay will deliver', { error: String(err) }),
      );
    }
    this.pass = undefined;
  }

  async stopped(): Promise<void> {
    this.waiting.clear();
    await this.pass;
  }
}

const fastPaths = new WeakMap<ApiDeps, FastPath>();
function fastPathOf(deps: ApiDeps): FastPath {
  let fastPath = fastPaths.get(deps);
  if (!fastPath) fastPaths.set(deps, (fastPath = new FastPath(deps)));
  return fastPath;
}

export function deliverAfterReceipt(deps: ApiDeps, ipnEventId: number): void {
  fastPathOf(deps).add(ipnEventId);
}

/** Rejected IPN attempts older than `retentionMs` are deleted; verified IPNs never. Answers how many. */
async function purgeRejectedIpns(deps: ApiDeps, retentionMs: number): Promise<number> {
  return deps
    .db('ipn_events')
    .whereNot('verdict', 'verified')
    .andWhere('received_at', '<', new Date(deps.clock().getTime() - retentionMs))
    .delete();
}

/** How often the relay purges old rejected IPN attempts: a retention counted in days needs no finer step. */
const PURGE_EVERY_MS = 3600_000;

/**
 * The relay: every stored IPN still pending (Temporal was down, the api restarted mid-way) is delivered again. It
 * also purges old rejected IPN attempts and expired idempotency keys, at start and then hourly (every replica may; the
 * deletes are idempotent).
 */
export function startIpnRelay(deps: ApiDeps, intervalMs: number): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopping = false;
  let purgedAt = -Infinity;
  const tick = async () => {
    if (Date.now() - purgedAt >= PURGE_EVERY_MS) {
      purgedAt = Date.now();
      const purged = await purgeRejectedIpns(deps, deps.config.rejectedIpnRetentionMs);
      if (purged) deps.log('purged old rejected IPN attempts', { purged });
      const forgotten = await purgeExpiredIdempotencyKeys(deps);
      if (forgotten) deps.log('purged expired idempotency keys', { forgotten });
    }
    // Pass after pass while whole batches come back: a backlog drains at Temporal's pace, not one batch per interval.
    for (;;) {
      const pending = await deps
        .db('ipn_events')
        .where({ delivery_state: 'pending' })
        .andWhere('received_at', '<', deps.db.raw("now() - interval '1 second'"))
        .orderBy('id')
        .limit(DELIVERY_BATCH)
        .pluck<number[]>('id');
      const delivered = await deliverIpns(deps, pending);
      if (stopping || pending.length < DELIVERY_BATCH || delivered === 0) return;
    }
  };
  const timer = setInterval(() => {
    if (running) return;
    running = tick()
      .catch((err: unknown) => deps.log('IPN relay pass failed', { error: String(err) }))
      .finally(() => (running = undefined));
  }, intervalMs);
  return {
    /** Stops the relay, once its pass and the fast-path pass in flight have ended. */
    async stop() {
      stopping = true;
      clearInterval(timer);
      await running;
      await fastPaths.get(deps)?.stopped();
    },
  };
}
