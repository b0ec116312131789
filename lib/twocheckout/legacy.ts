import { createHash } from 'node:crypto';

/** Legacy (2checkout.com) INS `md5_hash`: upper-case MD5 of sale_id + vendor_id + invoice_id + Secret Word. */
export function legacyInsHash(opts: {
  saleId: string;
  vendorId: string;
  invoiceId: string;
  secretWord: string;
}): string {
  return md5Upper(opts.saleId + opts.vendorId + opts.invoiceId + opts.secretWord);
}

/**
 * Legacy return ("passback") `key`: upper-case MD5 of Secret Word + sid + order_number + total. For demo sales
 * 2Checkout hashes the order number `1`, whatever order number it returns.
 */
export function legacyReturnKey(opts: {
  secretWord: string;
  sid: string;
  orderNumber: string;
  total: string;
  demo?: boolean;
}): string {
  return md5Upper(opts.secretWord + opts.sid + (opts.demo ? '1' : opts.orderNumber) + opts.total);
}

function md5Upper(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex').toUpperCase();
}
