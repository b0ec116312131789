import type { Knex } from 'knex';
import type { IpnEventRow } from './ipn';
import { IPN_SUMMARY_COLUMNS, type IpnSummaryRow } from './ipn-log';
import type { InvoiceEventRow, WebhookDeliveryRow } from './views';

/** An IPN as the timeline shows it; `claimed` when its signature did not verify and it only names the invoice. */
export type TimelineIpn = IpnSummaryRow & { claimed: boolean };

export type TimelineEntry =
  | { kind: 'audit'; at: Date; event: InvoiceEventRow }
  | { kind: 'ipn'; at: Date; ipn: TimelineIpn }
  | { kind: 'webhook'; at: Date; delivery: WebhookDeliveryRow };

/** Same instant: the IPN first, then what it caused, then the webhook that told the shop. */
const ORDER: Record<TimelineEntry['kind'], number> = { ipn: 0, audit: 1, webhook: 2 };

/**
 * An invoice's story in one list, oldest first: its audit trail (status changes with their cause), the IPNs about it
 * (with their verdicts; a rejected IPN has no invoice, so those that name it in REFNOEXT are shown as claims) and
 * every webhook attempt. The caller has checked that the invoice is the merchant's.
 */
export async function invoiceTimeline(db: Knex, merchantId: string, invoiceId: string): Promise<TimelineEntry[]> {
  const [audit, ipns, webhooks] = await Promise.all([
    db<InvoiceEventRow>('invoice_events').where({ invoice_id: invoiceId }).orderBy('id'),
    db<IpnEventRow>('ipn_events')
      .select(...IPN_SUMMARY_COLUMNS)
      .where({ merchant_id: merchantId })
      .andWhere((q) => {
        void q.where({ invoice_id: invoiceId }).orWhere((r) => {
          void r.whereNull('invoice_id').andWhere({ refnoext: invoiceId });
        });
      })
      .orderBy('id'),
    db<WebhookDeliveryRow>('webhook_deliveries')
      .where({ invoice_id: invoiceId, merchant_id: merchantId })
      .orderBy('id'),
  ]);
  const entries: TimelineEntry[] = [
    ...audit.map((event) => ({ kind: 'audit' as const, at: event.created_at, event })),
    ...(ipns as IpnSummaryRow[]).map((ipn) => ({
      kind: 'ipn' as const,
      at: ipn.received_at,
      ipn: { ...ipn, claimed: ipn.verdict !== 'verified' },
    })),
    ...webhooks.map((delivery) => ({ kind: 'webhook' as const, at: delivery.created_at, delivery })),
  ];
  // Array.prototype.sort is stable: within a kind, the tables' own order (by id) is kept.
  return entries.sort((a, b) => a.at.getTime() - b.at.getTime() || ORDER[a.kind] - ORDER[b.kind]);
}
