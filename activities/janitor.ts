import { loadInvoiceRun, recheckInvoice, requestRefundRun } from '../lib/invoice-client';
import type { RefundRow } from '../lib/refunds';
import type { InvoiceRow } from '../lib/invoice';
import type { ActivityDeps } from './deps';

const BATCH = 500;

export const janitorActivities = ({ db, temporal }: ActivityDeps) => ({
  /**
   * Invoice ids stuck in `processing`, past their expiry and still awaiting payment, or with a refund still
   * `requested` that long after it was asked for (its hand-over to the workflow was lost).
   */
  async findStuckInvoices(t: { processingForMs: number; overdueForMs: number }): Promise<string[]> {
    const now = Date.now();
    const refunding = await db<RefundRow>('refunds')
      .where('status', 'requested')
      .andWhere('created_at', '<', new Date(now - t.overdueForMs))
      .groupBy('invoice_id')
      .limit(BATCH)
      .pluck('invoice_id');
    const stuck = await db<InvoiceRow>('invoices')
      .where((q) => {
        void q
          .where('status', 'processing')
          .andWhere('updated_at', '<', new Date(now - t.processingForMs))
          .orWhere(
            (o) =>
              void o.where('status', 'awaiting_payment').andWhere('expires_at', '<', new Date(now - t.overdueForMs)),
          );
      })
      .orderBy('updated_at')
      .limit(BATCH)
      .pluck('id');
    return [...new Set([...refunding, ...stuck])];
  },

  /**
   * Nudges one invoice's workflow (signal-with-start: a closed one gets a new run): hands it again each refund still
   * `requested` (sent at most once whatever happens), then asks it to check with 2Checkout.
   */
  async recheckInvoice(invoiceId: string): Promise<void> {
    const invoice = await loadInvoiceRun(db, invoiceId);
    if (!invoice || !temporal) return;
    const requested = await db<RefundRow>('refunds')
      .where({ invoice_id: invoiceId, status: 'requested' })
      .orderBy('created_at')
      .pluck('id');
    for (const refundId of requested) await requestRefundRun(temporal, invoice, refundId);
    await recheckInvoice(temporal, invoice);
  },
});
