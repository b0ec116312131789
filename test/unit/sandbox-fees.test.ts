import Big from 'big.js';
import { ipnMoneyOf } from '../../lib/invoice/fees';
import { makeIpn } from '../../lib/twocheckout';
import { DEFAULT_PLAN, feeFieldsFor, fxRateOf, payableAmount, planProblem, USD_PER_UNIT } from '../../sandbox/fees';
import { fieldsFromObject } from '../helpers/twocheckout-fixtures';

const d = (text: string) => new Big(text);

describe("the sandbox's 2Checkout fees (sandbox/fees)", () => {
  it.each([
    // [IPN_TOTALGENERAL, IPN_COMMISSION, FX_RATE, PAYOUT_CURRENCY, PAYABLE_AMOUNT], from 2Checkout's SDK fixtures
    ['2.00', '0.5985', '1', 'USD', '1.40'], // Node SDK
    ['95.00', '3.6766', '1', 'USD', '91.32'], // Ruby SDK
    ['59.00', '2.4287', '1', 'USD', '56.57'], // .NET SDK
    ['0.01', '2.7678', '0.20810660205937', 'USD', '-0.57'], // Java SDK: a RON order
  ])(
    "When %s less a commission of %s is paid out at %s in %s, then PAYABLE_AMOUNT is 2Checkout's %s",
    (total, commission, rate, payout, payable) => {
      expect(payableAmount(d(total), d(commission), rate, payout)).toBe(payable);
    },
  );

  it('When 50.00 RUB is paid on the default plan (3.9% + 0.45 USD, paid out in USD), then the IPN states the fee in RUB and the payout in USD', () => {
    // 3.9% of 50.00 = 1.95 RUB; 0.45 USD at 0.0125 USD/RUB = 36 RUB; (50 − 37.95) × 0.0125 × 0.96 = 0.1446 → 0.14 USD
    const fields = feeFieldsFor({
      orderStatus: 'COMPLETE',
      gross: '50.00',
      total: '50.00',
      currency: 'RUB',
      plan: DEFAULT_PLAN,
      payoutCurrency: 'USD',
    });
    expect(fields).toEqual({
      IPN_COMMISSION: '37.9500',
      FX_RATE: '0.012',
      FX_MARKUP: '4',
      PAYABLE_AMOUNT: '0.14',
      PAYOUT_CURRENCY: 'USD',
    });
    expect(ipnMoneyOf(makeIpn(fieldsFromObject({ CURRENCY: 'RUB', ...fields! })))).toEqual({
      feeMinor: 3795,
      feeCurrency: 'RUB',
      payoutMinor: 14,
      payoutCurrency: 'USD',
      fxRate: '0.012',
    });
  });

  it('When the order is paid out in its own currency, then FX_RATE is 1 and FX_MARKUP 0; a tiny order pays out negative', () => {
    const usd = (gross: string) =>
      feeFieldsFor({
        orderStatus: 'PAYMENT_AUTHORIZED',
        gross,
        total: gross,
        currency: 'USD',
        plan: DEFAULT_PLAN,
        payoutCurrency: 'USD',
      });
    expect(usd('10.00')).toEqual({
      IPN_COMMISSION: '0.8400',
      FX_RATE: '1',
      FX_MARKUP: '0',
      PAYABLE_AMOUNT: '9.16',
      PAYOUT_CURRENCY: 'USD',
    });
    expect(usd('0.01')).toMatchObject({ IPN_COMMISSION: '0.4504', PAYABLE_AMOUNT: '-0.44' });
  });

  it('When a refund or a reversal is notified, then a refund keeps the commission and a reversal returns it, both negative', () => {
    const of = (orderStatus: string, total: string) =>
      feeFieldsFor({
        orderStatus,
        gross: '50.00',
        total,
        currency: 'RUB',
        plan: DEFAULT_PLAN,
        payoutCurrency: 'USD',
      });
    // 20.00 RUB refunded: 20 × 0.012 = 0.24 USD taken from the payout; 2Checkout keeps its commission
    expect(of('REFUND', '-20.00')).toMatchObject({ IPN_COMMISSION: '0.0000', PAYABLE_AMOUNT: '-0.24' });
    // reversed before capture: the sale's commission and payout, returned
    expect(of('REVERSED', '-50.00')).toMatchObject({ IPN_COMMISSION: '-37.9500', PAYABLE_AMOUNT: '-0.14' });
  });

  it('When rates cross two currencies, then FX_RATE is the cross rate less the markup, with at most 14 decimals', () => {
    expect(fxRateOf('RON', 'USD')).toEqual({ rate: '0.2112', markup: '4' }); // 0.22 × 0.96
    expect(fxRateOf('JPY', 'EUR')).toEqual({ rate: '0.00595555555556', markup: '4' }); // 0.0067 / 1.08 × 0.96
    expect(fxRateOf('EUR', 'EUR')).toEqual({ rate: '1', markup: '0' });
  });

  it('When a plan or payout currency is odd, then it is refused with a reason; a currency without a rate has no fees', () => {
    expect(planProblem(DEFAULT_PLAN, 'USD')).toBeUndefined();
    expect(planProblem({ percent: '101', fixedUsd: '0' }, 'USD')).toMatch(/percent/);
    expect(planProblem({ percent: '-1', fixedUsd: '0' }, 'USD')).toMatch(/percent/);
    expect(planProblem({ percent: '3.9', fixedUsd: 'lots' }, 'USD')).toMatch(/fixedUsd/);
    expect(planProblem(DEFAULT_PLAN, 'XYZ')).toMatch(/payoutCurrency/);
    expect(planProblem(DEFAULT_PLAN, 'constructor')).toMatch(/payoutCurrency/);
    expect(Object.keys(USD_PER_UNIT)).toEqual(expect.arrayContaining(['USD', 'EUR', 'GBP', 'RUB', 'RON']));
    expect(
      feeFieldsFor({
        orderStatus: 'COMPLETE',
        gross: '5.00',
        total: '5.00',
        currency: 'BHD',
        plan: DEFAULT_PLAN,
        payoutCurrency: 'USD',
      }),
    ).toBeNull();
  });
});
