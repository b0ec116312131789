import { serializeIpn, signIpnFields, type IpnField } from '../../lib/twocheckout';
import { fieldsFromObject } from './twocheckout-fixtures';

export interface IpnFacts {
  refNo: string;
  invoiceId: string;
  orderStatus: string;
  total: string;
  currency: string;
  ipnDate?: string;
  testOrder?: boolean;
  /** MESSAGE_ID: the same in every resend of one notification. */
  messageId?: string;
  /** CHARGEBACK_RESOLUTION: OPEN, WON, LOST, ACCEPTED (NONE when absent). */
  chargebackResolution?: string;
}

/** IPN fields in 2Checkout's order, for one product, with a customer named in Cyrillic (multi-byte lengths). */
function ipnFields(f: IpnFacts): IpnField[] {
  return fieldsFromObject({
    GIFT_ORDER: '0',
    SALEDATE: '2026-11-28 12:00:00',
    PAYMENTDATE: '2026-11-28 12:00:05',
    REFNO: f.refNo,
    REFNOEXT: f.invoiceId,
    ORDERNO: '1001',
    ORDERSTATUS: f.orderStatus,
    PAYMETHOD: 'Visa/MasterCard',
    FIRSTNAME: 'Иван',
    LASTNAME: 'Петров',
    CUSTOMEREMAIL: 'ivan@example.com',
    CURRENCY: f.currency,
    IPN_PID: ['1'],
    IPN_PNAME: ['Test product'],
    IPN_QTY: ['1'],
    IPN_PRICE: [f.total],
    IPN_TOTAL: [f.total],
    IPN_TOTALGENERAL: f.total,
    ...(f.messageId !== undefined && { MESSAGE_ID: f.messageId }),
    MESSAGE_TYPE: f.orderStatus,
    ...(f.chargebackResolution !== undefined && { CHARGEBACK_RESOLUTION: f.chargebackResolution }),
    TEST_ORDER: f.testOrder === false ? '0' : '1',
    FRAUD_STATUS: 'APPROVED',
    IPN_DATE: f.ipnDate ?? '20261128120010',
  });
}

/** The raw body 2Checkout would POST, signed with the merchant's Secret Key (all three signatures). */
export function signedIpnBody(secretKey: string, f: IpnFacts): string {
  return serializeIpn(signIpnFields(ipnFields(f), secretKey));
}
