import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

// Database reads and Temporal signals: brief failures only; the next scheduled pass tries again anyway.
const { findStuckInvoices, recheckInvoice } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5 },
});

export interface JanitorInput {
  /** An invoice `processing` for longer than this is asked about again. */
  readonly processingForMs?: number;
  /** An invoice still `awaiting_payment` this long after its expiry lost its timer: ask again. */
  readonly overdueForMs?: number;
}

/**
 * Run by the `invoice-janitor` schedule: finds invoices stuck in `processing`, or past their expiry yet still
 * awaiting payment (their workflow gone), and nudges each workflow to ask 2Checkout again. Returns how many.
 */
export async function janitorWorkflow(input: JanitorInput = {}): Promise<number> {
  const stuck = await findStuckInvoices({
    processingForMs: input.processingForMs ?? 30 * 60_000,
    overdueForMs: input.overdueForMs ?? 10 * 60_000,
  });
  for (const invoiceId of stuck) await recheckInvoice(invoiceId);
  return stuck.length;
}
