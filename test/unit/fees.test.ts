import { ipnMoneyOf, roundedMinorUnits } from '../../lib/invoice/fees';
import { makeIpn } from '../../lib/twocheckout';
import { fieldsFromObject, fieldsFromTuples, nodeSdkIpn, rubySdkIpn } from '../helpers/twocheckout-fixtures';

/** The fee fields of 2Checkout's Java SDK fixture (IpnSignatureTest, 2023): a 0.01 RON order paid out in USD. */
const JAVA_SDK_RON = {
  CURRENCY: 'RON',
  IPN_TOTALGENERAL: '0.01',
  IPN_COMMISSION: '2.7678',
  FX_RATE: '0.20810660205937',
  FX_MARKUP: '4',
  PAYABLE_AMOUNT: '-0.57',
  PAYOUT_CURRENCY: 'USD',
};

const ipnOf = (fields: Record<string, string>) => makeIpn(fieldsFromObject(fields));

describe('the fee and payout an IPN states (lib/invoice/fees)', () => {
  it("When 2Checkout's own IPN fixtures are read, then the fee is in the order currency rounded to cents, and the payout as stated", () => {
    expect(ipnMoneyOf(makeIpn(fieldsFromTuples(nodeSdkIpn.fields)))).toEqual({
      feeMinor: 60, // 0.5985 USD
      feeCurrency: 'USD',
      payoutMinor: 140,
      payoutCurrency: 'USD',
      fxRate: '1',
    });
    expect(ipnMoneyOf(makeIpn(fieldsFromTuples(rubySdkIpn.fields)))).toEqual({
      feeMinor: 368, // 3.6766 USD
      feeCurrency: 'USD',
      payoutMinor: 9132,
      payoutCurrency: 'USD',
      fxRate: '1',
    });
    expect(ipnMoneyOf(ipnOf(JAVA_SDK_RON))).toEqual({
      feeMinor: 277, // 2.7678 RON
      feeCurrency: 'RON',
      payoutMinor: -57,
      payoutCurrency: 'USD',
      fxRate: '0.20810660205937',
    });
  });

  it.each([
    ['0.0050', 'USD', 1],
    ['0.0049', 'USD', 0],
    ['-0.0050', 'USD', -1],
    ['-0.0049', 'USD', 0],
    ['37.9500', 'RUB', 3795],
    ['86.6642', 'JPY', 87],
    ['86.5000', 'JPY', 87],
    ['1.23450', 'KWD', 1235],
    ['-0.57', 'USD', -57],
    ['12', 'USD', 1200],
  ])('When %s %s is rounded to minor units, then it is %d (half away from zero)', (amount, currency, minor) => {
    expect(roundedMinorUnits(amount, currency)).toBe(minor);
  });

  it.each([
    ['an empty commission', { IPN_COMMISSION: '' }],
    ['a comma decimal', { IPN_COMMISSION: '0,5985' }],
    ['an exponent', { PAYABLE_AMOUNT: '1e3' }],
    ['NaN', { PAYABLE_AMOUNT: 'NaN' }],
    ['a plus sign', { PAYABLE_AMOUNT: '+1.40' }],
    ['spaces', { PAYABLE_AMOUNT: ' 1.40' }],
    ['beyond exact integers', { PAYABLE_AMOUNT: '900719925474099.93' }],
    ['a huge string', { IPN_COMMISSION: '9'.repeat(10_000) }],
    ['an unknown payout currency', { PAYOUT_CURRENCY: 'XXX' }],
    ['no payout currency', { PAYOUT_CURRENCY: undefined }],
    ['no order currency', { CURRENCY: undefined }],
    ['a prototype key as currency', { PAYOUT_CURRENCY: '__proto__' }],
  ])('When the IPN has %s, then there is no fee and payout (null), and nothing throws', (_, changes) => {
    const fields = Object.fromEntries(
      Object.entries({ ...JAVA_SDK_RON, ...changes }).filter((e): e is [string, string] => e[1] !== undefined),
    );
    expect(ipnMoneyOf(ipnOf(fields))).toBeNull();
  });

  it('When the IPN states none of the fields, then there is no fee and payout (null)', () => {
    expect(ipnMoneyOf(ipnOf({ CURRENCY: 'RUB', IPN_TOTALGENERAL: '50.00' }))).toBeNull();
  });

  it('When FX_RATE is absent or odd, then the fee and payout are still read, and the rate is null', () => {
    for (const FX_RATE of ['', '-1', '1e-3', 'one']) {
      expect(ipnMoneyOf(ipnOf({ ...JAVA_SDK_RON, FX_RATE }))).toMatchObject({ feeMinor: 277, fxRate: null });
    }
    const { FX_RATE: _, ...without } = JAVA_SDK_RON;
    expect(ipnMoneyOf(ipnOf(without))).toMatchObject({ payoutMinor: -57, fxRate: null });
  });

  it('When a refund IPN states negative amounts, then they are read negative', () => {
    expect(ipnMoneyOf(ipnOf({ ...JAVA_SDK_RON, IPN_COMMISSION: '-2.7678', PAYABLE_AMOUNT: '-1.25' }))).toMatchObject({
      feeMinor: -277,
      payoutMinor: -125,
    });
  });
});
