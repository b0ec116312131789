/**
 * Events: what the merchant is told about its invoices, by webhook and by GET /v1/events. One event per status
 * change of the audit trail, written once in the same transaction as that change, frozen from then on: every
 * delivery and every resend sends the same bytes, and `data.invoice` is the invoice as it was at that moment.
 */
import type { Knex } from 'knex';
import { API_VERSION } from './api-version';
import type { InvoiceRow, InvoiceStatus } from './invoice';
import { invoiceView, livemodeOf } from './invoice-view';
import { webhookEventId } from '../workflows/shared';

/**
 * Every event type, with what it means: the one list the code, the OpenAPI `webhooks` section and the README are
 * made from. A type names what happened, not only the status reached: `paid` is reached again by a won chargeback,
 * and a handler that fulfils on `invoice.paid` must see it once per invoice, ever (a unique index makes sure).
 */
export const EVENT_TYPES = {
  'invoice.created': {
    to: 'awaiting_payment',
    meaning:
      'The invoice was made, by the API or an order link (listed in GET /v1/events; not POSTed: the answer that made it says the same)',
  },
  'invoice.processing': {
    to: 'processing',
    meaning: '2Checkout has an order for the invoice, not yet paid: pending, authorised or under fraud review',
  },
  'invoice.paid': {
    to: 'paid',
    meaning:
      'The payment is verified with 2Checkout: fulfil the order. Once per invoice, ever; `data.invoice.late` is true when it came after expiry or cancelation',
  },
  'invoice.expired': { to: 'expired', meaning: 'No payment before the deadline, and 2Checkout has no order for it' },
  'invoice.canceled': { to: 'canceled', meaning: 'The merchant canceled the invoice before any payment' },
  'invoice.failed': {
    to: 'failed',
    meaning:
      '2Checkout refused or reversed the payment; with `previousStatus` `paid`, money counted before is gone: undo the fulfilment',
  },
  'invoice.partially_refunded': {
    to: 'partially_refunded',
    meaning: 'A refund of part of the amount was confirmed by 2Checkout; `data.invoice.refundedAmount` is the total',
  },
  'invoice.refunded': { to: 'refunded', meaning: 'Refunds confirmed by 2Checkout reached the whole amount' },
  'invoice.disputed': { to: 'disputed', meaning: 'The buyer opened a chargeback: the money is held until it ends' },
  'invoice.dispute_won': {
    to: 'paid',
    meaning: 'The chargeback ended in the merchant’s favour: the invoice is `paid` again. Not a new payment',
  },
  'invoice.charged_back': {
    to: 'charged_back',
    meaning: 'The chargeback was lost or accepted: the money went back to the buyer',
  },
  'invoice.needs_review': {
    to: 'needs_review',
    meaning:
      'Something a person must look at: an amount or currency that differs, a refused test order, another 2Checkout account; `data.invoice.statusReason` says what',
  },
} as const satisfies Record<string, { to: InvoiceStatus; meaning: string }>;

export type EventType = keyof typeof EVENT_TYPES;

/** The event types as a Markdown table, for the merchant's documentation (generated, so it cannot drift). */
export function eventTypesTable(): string {
  const rows = Object.entries(EVENT_TYPES).map(([type, { to, meaning }]) => `| \`${type}\` | \`${to}\` | ${meaning} |`);
  return ['| type | status after | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** The audit row's part that decides an event. */
export interface AuditChange {
  readonly type: string;
  readonly from_status: string | null;
  readonly to_status: InvoiceStatus;
}

/**
 * The event type of a status change. The only way back to `paid` after it was reached is a won chargeback
 * (lib/invoice/decide.ts ALLOWED_FROM; a unit test keeps it so), which has its own type.
 */
export function eventTypeOf(change: AuditChange): EventType {
  if (change.type === 'created' || change.to_status === 'awaiting_payment') return 'invoice.created';
  if (change.to_status === 'paid' && change.from_status === 'disputed') return 'invoice.dispute_won';
  return `invoice.${change.to_status}`;
}

/** The envelope of an event: the exact JSON that is stored, signed and sent. */
export function eventEnvelope(
  audit: AuditChange & { id: number; created_at: Date },
  invoice: InvoiceRow,
): { type: EventType; livemode: boolean; body: string } {
  const type = eventTypeOf(audit);
  const livemode = livemodeOf(invoice);
  const body = JSON.stringify({
    id: webhookEventId(audit.id),
    type,
    createdAt: audit.created_at.toISOString(),
    apiVersion: API_VERSION,
    livemode,
    data: { invoice: invoiceView(invoice), previousStatus: audit.from_status },
  });
  return { type, livemode, body };
}

/**
 * Writes the event of audit row `auditEventId`, once: in the transaction that wrote the row (after everything else
 * it changes on the invoice, which `current` is when given), or later for a row from before the events table, frozen
 * from then on. Nothing for a row that is not a status change.
 */
export async function recordEvent(db: Knex, auditEventId: number, current?: InvoiceRow): Promise<void> {
  const audit = await db('invoice_events')
    .where({ id: auditEventId })
    .first<(AuditChange & { id: number; invoice_id: string; created_at: Date }) | undefined>(
      'id',
      'invoice_id',
      'type',
      'from_status',
      'to_status',
      'created_at',
    );
  if (!audit || audit.to_status === null) return;
  // the caller's row, as its transaction leaves it, when it has one: else read
  const invoice =
    current?.id === audit.invoice_id
      ? current
      : (await db<InvoiceRow>('invoices').where({ id: audit.invoice_id }).first())!;
  const { type, livemode, body } = eventEnvelope(audit, invoice);
  await db('events')
    .insert({
      id: webhookEventId(audit.id),
      audit_event_id: audit.id,
      merchant_id: invoice.merchant_id,
      invoice_id: invoice.id,
      type,
      api_version: API_VERSION,
      livemode,
      payload: body,
      created_at: audit.created_at,
    })
    .onConflict('id')
    .ignore();
}

/** A row of `events`, its payload as the exact text stored. */
export interface EventRow {
  id: string;
  audit_event_id: number;
  merchant_id: string;
  invoice_id: string;
  type: EventType;
  api_version: string;
  livemode: boolean;
  payload: string;
  created_at: Date;
}

/** The columns of `events`, the payload read as text: the bytes as written, not re-serialised. */
export const eventColumns = (db: Knex) => [
  'id',
  'audit_event_id',
  'merchant_id',
  'invoice_id',
  'type',
  'api_version',
  'livemode',
  db.raw('payload::text as payload'),
  'created_at',
];

/** The stored event announcing audit row `auditEventId`, made now if that row predates the events table. */
export async function storedEvent(db: Knex, auditEventId: number): Promise<EventRow | undefined> {
  const read = () =>
    db<EventRow>('events')
      .where({ id: webhookEventId(auditEventId) })
      .first(eventColumns(db) as never) as Promise<EventRow | undefined>;
  const stored = await read();
  if (stored) return stored;
  await recordEvent(db, auditEventId);
  return read();
}
