import { loadInvoiceRun, recheckInvoice } from '../lib/invoice-client';
import type { InvoiceRow } from '../lib/invoice';
import type { ActivityDeps } from './deps';

const BATCH = 500;

export const janitorActivities = ({ db, temporal }: ActivityDeps) => ({
  /** Invoice ids stuck in `processing`, or past their expiry and still awaiting payment. */
  async findStuckInvoices(t: { processingForMs: number; overdueForMs: number }): Promise<string[]> {
    const now = Date.now();
    return db<InvoiceRow>('invoices')
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
  },

  /** Nudges one invoice's workflow (signal-with-start: a closed one gets a new run). */
  async recheckInvoice(invoiceId: string): Promise<void> {
    const invoice = await loadInvoiceRun(db, invoiceId);
    if (!invoice || !temporal) return;
    await recheckInvoice(temporal, invoice);
  },
});
