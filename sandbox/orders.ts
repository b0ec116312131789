import { createHash, randomInt } from 'node:crypto';
import { fromMinorUnits, toMinorUnits } from '../lib/money';
import { signIpnFields, type IpnField } from '../lib/twocheckout';
import { DEFAULT_PAYOUT_CURRENCY, DEFAULT_PLAN, feeFieldsFor, type SandboxPlan } from './fees';
import type { ServerClock } from './server-clock';

export interface SandboxMerchant {
  merchantCode: string;
  name: string;
  secretKey: string;
  buyLinkSecretWord: string;
  ipnUrl: string;
  /** Tests of the missing-IPN path: the order happens, its IPNs are never sent. */
  dropIpns: boolean;
  /**
   * Refunds asked for through the API stay pending until approved on the control page (`approve-refund`), instead of
   * after the settle delay: for tests and demos of the time between 2Checkout registering a refund and approving it.
   */
  holdRefunds?: boolean;
  /**
   * Sales tax or VAT 2Checkout adds on top of the link's (net) prices, in percent; 0 for none. What 2Checkout's tax
   * calculator does for a merchant on the PSP model (the only one selling dynamic products through ConvertPlus).
   */
  taxPercent: number;
  /** The 2Checkout plan: its fee per sale (sandbox/fees.ts); absent (a merchant kept from before): the default. */
  plan?: SandboxPlan;
  /** The currency 2Checkout pays the merchant out in; absent: USD. */
  payoutCurrency?: string;
}

export interface SandboxItem {
  /** 2Checkout's product id (IPN_PID): 8 digits. */
  pid: string;
  name: string;
  /** Unit price before tax, as the buy link set it. */
  price: string;
  quantity: number;
}

export type ChargebackResolution = 'NONE' | 'OPEN' | 'WON' | 'LOST' | 'ACCEPTED';

/** What the sandbox does next with an order on its own, after its settle delay (kept across restarts). */
export type NextStep = 'authorize' | 'complete' | 'deny' | 'refund';

/** A refund of an order: asked through the REST API (pending until 2Checkout approves it) or made in the Control Panel. */
export interface SandboxRefund {
  /** Decimal string in the order currency. */
  amount: string;
  comment: string;
  reason: string;
  /** The lines a partial refund named, as sent. */
  items: { LineItemReference: string; Quantity: number; Amount: number }[];
  via: 'api' | 'control';
  status: 'pending' | 'approved';
  requestedAt: string;
}

/** An order as 2Checkout keeps it; what its REST API and IPNs report. */
export interface SandboxOrder {
  refNo: string;
  orderNo: number;
  merchantCode: string;
  externalReference: string;
  items: SandboxItem[];
  currency: string;
  /** Order totals, decimal strings in `currency`: before tax, the tax, and what the buyer pays. */
  netPrice: string;
  vat: string;
  grossPrice: string;
  taxPercent: number;
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
  next: NextStep | null;
  /** When its last IPN was dated (epoch ms): IPN_DATE strictly increases per order. */
  lastIpnAt?: number;
  /** Every refund asked for, in order (absent in a state file from before refunds were recorded). */
  refunds?: SandboxRefund[];
}

/** The reference of an order's line in REST answers (LineItemReference): stable, 40 hex characters like 2Checkout's. */
export const lineItemReference = (refNo: string, index: number) =>
  createHash('sha1').update(`${refNo}:${index}`).digest('hex');

/** One line's tax, rounded half up to the currency's minor unit. */
export function lineVatMinor(item: SandboxItem, currency: string, taxPercent: number): number {
  return Math.round((toMinorUnits(item.price, currency) * item.quantity * taxPercent) / 100);
}

/** One line's price with its tax, in minor units: what a refund of that line can be at most. */
export function lineGrossMinor(item: SandboxItem, currency: string, taxPercent: number): number {
  return toMinorUnits(item.price, currency) * item.quantity + lineVatMinor(item, currency, taxPercent);
}

/** An order's totals from its items: before tax, the tax 2Checkout adds, and what the buyer pays. */
export function orderTotals(items: readonly SandboxItem[], currency: string, taxPercent: number) {
  const net = toMinorUnits(totalOf(items, currency), currency);
  const vat = items.reduce((sum, i) => sum + lineVatMinor(i, currency, taxPercent), 0);
  return {
    netPrice: fromMinorUnits(net, currency),
    vat: fromMinorUnits(vat, currency),
    grossPrice: fromMinorUnits(net + vat, currency),
  };
}

export function newOrder(
  fields: Omit<
    SandboxOrder,
    'refNo' | 'orderNo' | 'netPrice' | 'vat' | 'grossPrice' | 'refundedPrice' | 'chargeback' | 'finishedAt'
  >,
  orderNo: number,
): SandboxOrder {
  return {
    ...fields,
    ...orderTotals(fields.items, fields.currency, fields.taxPercent),
    refNo: String(randomInt(100_000_000, 999_999_999)),
    orderNo,
    refundedPrice: fromMinorUnits(0, fields.currency),
    chargeback: 'NONE',
    finishedAt: null,
  };
}

/** 2Checkout's product ids are 8-digit numbers. */
export const newProductId = () => String(randomInt(10_000_000, 99_999_999));

/** The order total before tax from the link's items, exactly. */
export function totalOf(items: readonly Omit<SandboxItem, 'pid'>[], currency: string): string {
  return fromMinorUnits(
    items.reduce((sum, i) => sum + toMinorUnits(i.price, currency) * i.quantity, 0),
    currency,
  );
}

/**
 * REST API 6.0 `GET /orders/{RefNo}/`. Amounts and OrderNo are JSON numbers, as in 2Checkout's SDK examples
 * (`"OrderNo": 0, … "NetPrice": 107, "GrossPrice": 107`); dates in the server's time zone.
 */
export function orderJson(o: SandboxOrder, clock: ServerClock) {
  const n = (amount: string) => Number(amount);
  return {
    RefNo: o.refNo,
    OrderNo: o.orderNo,
    ExternalReference: o.externalReference,
    Status: o.status,
    ApproveStatus: o.approveStatus,
    Currency: o.currency,
    NetPrice: n(o.netPrice),
    GrossPrice: n(o.grossPrice),
    VAT: n(o.vat),
    TestOrder: o.testOrder,
    ChargebackResolution: o.chargeback,
    OrderDate: clock.dateTime(o.createdAt),
    FinishDate: o.finishedAt ? clock.dateTime(o.finishedAt) : null,
    Items: o.items.map((i, index) => {
      const net = toMinorUnits(i.price, o.currency) * i.quantity;
      const vat = lineVatMinor(i, o.currency, o.taxPercent);
      return {
        LineItemReference: lineItemReference(o.refNo, index),
        ProductDetails: { Name: i.name },
        Quantity: i.quantity,
        Price: {
          UnitNetPrice: n(i.price),
          NetPrice: n(fromMinorUnits(net, o.currency)),
          VAT: n(fromMinorUnits(vat, o.currency)),
          VATPercent: o.taxPercent,
          GrossPrice: n(fromMinorUnits(net + vat, o.currency)),
          Currency: o.currency,
        },
      };
    }),
  };
}

export interface IpnOptions {
  orderStatus: string;
  at: Date;
  messageId: string;
  fraudStatus?: string;
  refundType?: string;
  /** The canceled amount of a refund or reversal: negative, as 2Checkout sends it (IRN documentation). */
  totalOverride?: string;
}

/** An IPN for this order, in 2Checkout's field order (its SDKs' fixtures), with its three signatures last. */
export function ipnFieldsFor(
  o: SandboxOrder,
  merchant: SandboxMerchant,
  opts: IpnOptions,
  clock: ServerClock,
): IpnField[] {
  const s = (name: string, value: string): IpnField => ({ name, array: false, value });
  const a = (name: string, values: string[]): IpnField => ({ name, array: true, values });
  const each = (name: string, value: (i: SandboxItem) => string) => a(name, o.items.map(value));
  const total = opts.totalOverride ?? o.grossPrice;
  const paid = !['PENDING', 'PENDING_APPROVAL'].includes(opts.orderStatus);
  const never = '0000-00-00 00:00:00';
  const fees = feeFieldsFor({
    orderStatus: opts.orderStatus,
    gross: o.grossPrice,
    total,
    currency: o.currency,
    plan: merchant.plan ?? DEFAULT_PLAN,
    payoutCurrency: merchant.payoutCurrency ?? DEFAULT_PAYOUT_CURRENCY,
  });
  const fee = (name: keyof NonNullable<typeof fees>) => s(name, fees?.[name] ?? '');
  return signIpnFields(
    [
      s('GIFT_ORDER', '0'),
      s('SALEDATE', clock.dateTime(o.createdAt)),
      s('PAYMENTDATE', paid ? clock.dateTime(opts.at) : never),
      s('REFNO', o.refNo),
      s('REFNOEXT', o.externalReference),
      s('SHOPPER_REFERENCE_NUMBER', ''),
      s('ORDERNO', String(o.orderNo)),
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
      s('COMPLETE_DATE', opts.orderStatus === 'COMPLETE' ? clock.dateTime(opts.at) : never),
      s('TIMEZONE_OFFSET', clock.offset(opts.at)),
      s('CURRENCY', o.currency),
      s('LANGUAGE', 'en'),
      s('ORDERFLOW', 'REGULAR'),
      each('IPN_PID', (i) => i.pid),
      each('IPN_PNAME', (i) => i.name),
      each('IPN_PCODE', () => ''),
      each('IPN_EXTERNAL_REFERENCE', () => ''),
      each('IPN_INFO', () => ''),
      each('IPN_QTY', (i) => String(i.quantity)),
      each('IPN_PRICE', (i) => i.price),
      each('IPN_VAT', (i) => fromMinorUnits(lineVatMinor(i, o.currency, o.taxPercent), o.currency)),
      each('IPN_VAT_RATE', () => o.taxPercent.toFixed(4)),
      each('IPN_VER', () => '1'),
      each('IPN_DISCOUNT', () => '0.00'),
      each('IPN_PGROUP', () => '0'),
      each('IPN_PGROUP_NAME', () => ''),
      s('MESSAGE_ID', opts.messageId),
      s('MESSAGE_TYPE', opts.orderStatus),
      each('IPN_TOTAL', (i) => fromMinorUnits(lineGrossMinor(i, o.currency, o.taxPercent), o.currency)),
      s('IPN_TOTALGENERAL', total),
      s('IPN_SHIPPING', '0.00'),
      s('IPN_SHIPPING_TAX', '0.00'),
      fee('IPN_COMMISSION'),
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
      s('IPN_DATE', clock.ymdHis(opts.at)),
      fee('FX_RATE'),
      fee('FX_MARKUP'),
      fee('PAYABLE_AMOUNT'),
      fee('PAYOUT_CURRENCY'),
      s('VENDOR_CODE', merchant.merchantCode),
    ],
    merchant.secretKey,
  );
}

/** A resent IPN as 2Checkout resends one: the same message, a fresh IPN_DATE, signed again. */
export function resentIpnFields(
  original: readonly IpnField[],
  merchant: SandboxMerchant,
  at: Date,
  clock: ServerClock,
): IpnField[] {
  return signIpnFields(
    original.map((f) => (f.name === 'IPN_DATE' && !f.array ? { ...f, value: clock.ymdHis(at) } : f)),
    merchant.secretKey,
  );
}
