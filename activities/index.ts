import type { ActivityDeps } from './deps';
import { invoiceActivities } from './invoices';
import { janitorActivities } from './janitor';
import { refundActivities } from './refunds';
import { webhookActivities } from './webhooks';

export type { ActivityDeps } from './deps';

/** Every activity of the invoice workflow, built from injected dependencies. */
export const createActivities = (deps: ActivityDeps) => ({
  ...invoiceActivities(deps),
  ...janitorActivities(deps),
  ...refundActivities(deps),
  ...webhookActivities(deps),
});

export type Activities = ReturnType<typeof createActivities>;
