import { randomInt } from 'node:crypto';
import { fromMinorUnits, toMinorUnits } from '../lib/money';
import { formatYmdHis, signIpnFields, type IpnField } from '../lib/twocheckout';

export interface SandboxMerchant {
  merchantCode: string;
  name: string;
  secretKey: string;
  buyLinkSecretWord: string;
  ipnUrl: string;
  /** Tests of the missing-IPN path: the order happens, its IPNs are never sent. */
  dropIpns: boolean;
}

export interface SandboxItem {
  name: string;
  price: string;
  quantity: number;
}

export type ChargebackResolution = 'NONE' | 'OPEN' | 'WON' | 'LOST' | 'ACCEPTED';

/** An order as 2Checkout keeps it; what its REST API and IPNs report. */
export interface SandboxOrder {
  refNo: string;
  orderNo: string;
  merchantCode: string;
  externalReference: string;
  items: SandboxItem[];
  currency: string;
  /** Order total, a decimal string in `currency`. */
  grossPrice: string;
  /** Status: PENDING, AUTHRECEIVED, COMPLETE, REVERSED, REFUND, CANCELED. */
  status: string;
  /** ApproveStatus: WAITING, OK, FRAUD. */
  approveStatus: string;
  testOrder: boolean;
  customer: { firstName: string; lastName: string; email: string };
  card: { type: string; lastDigits: string };
  refundedPrice: string;
  chargeback: ChargebackResolution;
  createdAt: Date;
  finishedAt: Date | null;
}

let lastOrderNo = 1000;

export function newOrder(
  fields: Omit<SandboxOrder, 'refNo' | 'orderNo' | 'refundedPrice' | 'chargeback' | 'finishedAt'>,
): SandboxOrder {
  return {
    ...fields,
    refNo: String(randomInt(100_000_000, 999_999_999)),
    orderNo: String(++lastOrderNo),
    refundedPrice: fromMinorUnits(0, fields.currency),
    chargeback: 'NONE',
    finishedAt: null,
  };
}

/** The order total from the link's items, exactly. */
export function totalOf(items: readonly SandboxItem[], currency: string): string {
  return fromMinorUnits(
    items.reduce((sum, i) => sum + toMinorUnits(i.price, currency) * i.quantity, 0),
    currency,
  );
}

/** REST API 6.0 `GET /orders/{RefNo}/`. */
export function orderJson(o: SandboxOrder) {
  return {
    RefNo: o.refNo,
    OrderNo: o.orderNo,
    ExternalReference: o.externalReference,
    Status: o.status,
    ApproveStatus: o.approveStatus,
    Currency: o.currency,
    GrossPrice: o.grossPrice,
    NetPrice: o.grossPrice,
    TestOrder: o.testOrder,
    ChargebackResolution: o.chargeback,
    OrderDate: fmt(o.createdAt),
    FinishDate: o.finishedAt ? fmt(o.finishedAt) : null,
    Items: o.items.map((i) => ({
      ProductDetails: { Name: i.name },
      Quantity: i.quantity,
      Price: {
        UnitGrossPrice: i.price,
        GrossPrice: fromMinorUnits(toMinorUnits(i.price, o.currency) * i.quantity, o.currency),
        Currency: o.currency,
      },
    })),
  };
}

const fmt = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

export interface IpnOptions {
  orderStatus: string;
  at: Date;
  messageId: string;
  fraudStatus?: string;
  refundType?: string;
  /** Negative totals for refunds, as 2Checkout sends them. */
  totalOverride?: string;
}

/** An IPN for this order, in 2Checkout's field order, with its three signatures last. */
export function ipnFieldsFor(o: SandboxOrder, merchant: SandboxMerchant, opts: IpnOptions): IpnField[] {
  const s = (name: string, value: string): IpnField => ({ name, array: false, value });
  const a = (name: string, values: string[]): IpnField => ({ name, array: true, values });
  const total = opts.totalOverride ?? o.grossPrice;
  const paid = !['PENDING', 'PENDING_APPROVAL'].includes(opts.orderStatus);
  return signIpnFields(
    [
      s('GIFT_ORDER', '0'),
      s('SALEDATE', fmt(o.createdAt)),
      s('PAYMENTDATE', paid ? fmt(opts.at) : '0000-00-00 00:00:00'),
      s('REFNO', o.refNo),
      s('REFNOEXT', o.externalReference),
      s('SHOPPER_REFERENCE_NUMBER', ''),
      s('ORDERNO', o.orderNo),
      s('ORDERSTATUS', opts.orderStatus),
      s('PAYMETHOD', 'Visa/MasterCard'),
      s('PAYMETHOD_CODE', 'CCVISAMC'),
      s('FIRSTNAME', o.customer.firstName),
      s('LASTNAME', o.customer.lastName),
      s('COMPANY', ''),
      s('ADDRESS1', ''),
      s('CITY', ''),
      s('COUNTRY', ''),
      s('COUNTRY_CODE', ''),
      s('CUSTOMEREMAIL', o.customer.email),
      s('IPADDRESS', '127.0.0.1'),
      s('COMPLETE_DATE', opts.orderStatus === 'COMPLETE' ? fmt(opts.at) : '0000-00-00 00:00:00'),
      s('TIMEZONE_OFFSET', 'GMT+00:00'),
      s('CURRENCY', o.currency),
      s('LANGUAGE', 'en'),
      s('ORDERFLOW', 'REGULAR'),
      a(
        'IPN_PID',
        o.items.map((_, i) => String(i + 1)),
      ),
      a(
        'IPN_PNAME',
        o.items.map((i) => i.name),
      ),
      a(
        'IPN_PCODE',
        o.items.map(() => ''),
      ),
      a(
        'IPN_EXTERNAL_REFERENCE',
        o.items.map(() => ''),
      ),
      a(
        'IPN_INFO',
        o.items.map(() => ''),
      ),
      a(
        'IPN_QTY',
        o.items.map((i) => String(i.quantity)),
      ),
      a(
        'IPN_PRICE',
        o.items.map((i) => i.price),
      ),
      a(
        'IPN_VAT',
        o.items.map(() => '0.00'),
      ),
      a(
        'IPN_VER',
        o.items.map(() => '1'),
      ),
      a(
        'IPN_DISCOUNT',
        o.items.map(() => '0.00'),
      ),
      a(
        'IPN_TOTAL',
        o.items.map((i) => fromMinorUnits(toMinorUnits(i.price, o.currency) * i.quantity, o.currency)),
      ),
      s('IPN_TOTALGENERAL', total),
      s('IPN_SHIPPING', '0.00'),
      s('IPN_SHIPPING_TAX', '0.00'),
      s('MESSAGE_ID', opts.messageId),
      s('MESSAGE_TYPE', opts.orderStatus),
      s('REFUND_TYPE', opts.refundType ?? ''),
      s('CHARGEBACK_RESOLUTION', o.chargeback),
      s('CHARGEBACK_REASON_CODE', o.chargeback === 'NONE' ? '' : 'MERCHANDISE_NOT_RECEIVED'),
      s('TEST_ORDER', o.testOrder ? '1' : '0'),
      s('IPN_ORDER_ORIGIN', 'Web'),
      s(
        'FRAUD_STATUS',
        opts.fraudStatus ??
          (o.approveStatus === 'OK' ? 'APPROVED' : o.approveStatus === 'FRAUD' ? 'DENIED' : 'UNDER REVIEW'),
      ),
      s('CARD_TYPE', o.card.type),
      s('CARD_LAST_DIGITS', o.card.lastDigits),
      s('IPN_DATE', formatYmdHis(opts.at)),
      s('FX_RATE', '1'),
      s('FX_MARKUP', '0'),
      s('PAYABLE_AMOUNT', total),
      s('PAYOUT_CURRENCY', o.currency),
      s('VENDOR_CODE', merchant.merchantCode),
    ],
    merchant.secretKey,
  );
}
