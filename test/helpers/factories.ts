import type { TwoCheckoutOrder } from '../../lib/invoice/decide';

/** A 2Checkout order that pays invoice `inv_1` (50.00 RUB) in full; override what a test is about. */
export const buildOrder = (overrides: Partial<TwoCheckoutOrder> = {}): TwoCheckoutOrder => ({
  refNo: 'R1',
  orderNo: '1',
  externalReference: 'inv_1',
  status: 'COMPLETE',
  approveStatus: 'OK',
  currency: 'RUB',
  grossMinor: 5000,
  grossPrice: '50.00',
  netMinor: 5000,
  netPrice: '50.00',
  testOrder: false,
  ...overrides,
});
