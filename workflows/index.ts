// The only path the worker bundles.
export { invoiceWorkflow } from './invoice';
export { janitorWorkflow } from './janitor';
export { webhookWorkflow } from './webhook';
