/**
 * 2Checkout's wire protocols (PROTOCOL.md): pure functions, no I/O. The only place these rules live; the api, the
 * activities and the sandbox all use them, and test/unit/twocheckout checks them against 2Checkout's own vectors.
 */
export { formatRestDate, formatYmdHis, type HmacAlgorithm } from './bytes';
export {
  computeIpnSignature,
  ipnSignatureSource,
  IpnParseError,
  IPN_SIGNATURE_FIELDS,
  makeIpn,
  parseIpn,
  serializeIpn,
  signIpnFields,
  verifyIpnSignature,
  type Ipn,
  type IpnField,
  type IpnVerification,
} from './ipn';
export {
  buildReadReceipt,
  findReadReceipts,
  readReceiptHash,
  readReceiptSource,
  verifyReadReceipt,
  type ReadReceiptToken,
} from './receipt';
export {
  BUY_LINK_SIGNED_PARAMS,
  buildDynamicBuyLink,
  buildSignedUrl,
  buyLinkSignature,
  buyLinkSignatureSource,
  CONVERTPLUS_BUY_URL,
  returnUrlSignature,
  verifyBuyLink,
  type BuyLinkItem,
  type BuyLinkVerification,
  type DynamicBuyLinkInput,
  type LinkParams,
} from './buy-link';
export {
  buildRestAuthHeader,
  parseRestAuthHeader,
  REST_AUTH_HEADER,
  restAuthHash,
  restAuthSource,
  verifyRestAuthHeader,
  type RestAuthHeader,
  type RestAuthVerification,
} from './rest-auth';
export { legacyInsHash, legacyReturnKey } from './legacy';
export { merchantToken } from './merchant-token';
export * from '../money';
