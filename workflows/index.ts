// The only path the worker bundles.
export { invoiceWorkflow } from './invoice';
