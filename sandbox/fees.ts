/**
 * What 2Checkout keeps and pays out on an order, computed as the sandbox states it, for the IPN fields IPN_COMMISSION,
 * FX_RATE, FX_MARKUP, PAYABLE_AMOUNT and PAYOUT_CURRENCY (PROTOCOL.md §1.2). Exact decimals, never floats.
 *
 * - The plan: a percentage of what the buyer pays plus a fixed fee in USD per sale; by default 3.9% + 0.45 USD, the
 *   price the help page this project follows quotes. The fixed fee is converted to the order currency at the rate
 *   below. The commission is in the order currency with 4 decimals, as in 2Checkout's IPNs (`0.5985`).
 * - The payout currency is the merchant account's (USD unless the merchant chose another), not the order's: a RON
 *   order in 2Checkout's own fixture is paid out in USD.
 * - Converting to another payout currency costs FX_MARKUP percent: FX_RATE = (USD per order unit ÷ USD per payout
 *   unit) × (1 − markup ÷ 100), written with up to 14 decimals (`0.20810660205937` in 2Checkout's fixture, whose
 *   FX_MARKUP is 4). The same currency: FX_RATE `1`, FX_MARKUP `0`.
 * - PAYABLE_AMOUNT = (IPN_TOTALGENERAL − IPN_COMMISSION) × FX_RATE, rounded half away from zero to the payout
 *   currency's minor unit: what every 2Checkout fixture satisfies (2.00 − 0.5985 → 1.40; −0.57 USD for 0.01 RON).
 * - A refund: 2Checkout keeps its commission (IPN_COMMISSION `0.0000`); the refunded amount (negative) is taken from
 *   the payout at the same rate. A reversal (authorization released before capture): no commission is due, so both
 *   the commission and the payout of the sale are returned, negative.
 */
import Big from 'big.js';
import { currencyExponent, parseDecimal } from '../lib/money';

/** USD per unit of each currency the sandbox sells in: fixed, stated here, on the control page and GET /api/fx-rates. */
export const USD_PER_UNIT: Readonly<Record<string, string>> = {
  USD: '1',
  EUR: '1.08',
  GBP: '1.27',
  CHF: '1.12',
  CAD: '0.73',
  AUD: '0.66',
  JPY: '0.0067',
  RUB: '0.0125',
  UAH: '0.024',
  KZT: '0.002',
  RON: '0.22',
  PLN: '0.25',
  CZK: '0.043',
  SEK: '0.095',
  TRY: '0.029',
};
/** Whether the sandbox states a rate for this currency (and so sells and pays out in it). */
export const hasRate = (currency: string): boolean => Object.hasOwn(USD_PER_UNIT, currency);
/** Percent 2Checkout's conversion to another payout currency costs (FX_MARKUP). */
export const FX_MARKUP_PERCENT = '4';

export interface SandboxPlan {
  /** Percent of what the buyer pays, a decimal string: `"3.9"`. */
  percent: string;
  /** Per sale, in USD, a decimal string: `"0.45"`. */
  fixedUsd: string;
}
export const DEFAULT_PLAN: SandboxPlan = { percent: '3.9', fixedUsd: '0.45' };
export const DEFAULT_PAYOUT_CURRENCY = 'USD';

/** Why a plan or payout currency cannot be used, or undefined. */
export function planProblem(plan: SandboxPlan, payoutCurrency: string): string | undefined {
  const percent = parseDecimal(plan.percent);
  const fixed = parseDecimal(plan.fixedUsd);
  if (percent === null || percent.lt(0) || percent.gt(100)) return 'plan.percent is a decimal string from 0 to 100';
  if (fixed === null || fixed.lt(0)) return 'plan.fixedUsd is a non-negative decimal string';
  if (!hasRate(payoutCurrency)) return `payoutCurrency is one of ${Object.keys(USD_PER_UNIT).join(', ')}`;
  return undefined;
}

export interface FeeFields {
  IPN_COMMISSION: string;
  FX_RATE: string;
  FX_MARKUP: string;
  PAYABLE_AMOUNT: string;
  PAYOUT_CURRENCY: string;
}

function decimal(text: string): Big {
  const value = parseDecimal(text);
  if (value === null) throw new RangeError(`${JSON.stringify(text)} is not a decimal string`);
  return value;
}

/**
 * `dividend ÷ divisor` rounded half away from zero to `dp` decimals, exactly: big.js rounds a quotient by its
 * remainder, to the DP of its constructor (a constructor of its own here; the global Big's settings stay untouched).
 */
function quotient(dividend: Big, divisor: Big, dp: number): Big {
  const Rounded = Big();
  Rounded.DP = dp;
  Rounded.RM = Big.roundHalfUp;
  return new Rounded(dividend).div(divisor);
}

/** FX_RATE and FX_MARKUP from the order currency to the payout currency. */
export function fxRateOf(orderCurrency: string, payoutCurrency: string): { rate: string; markup: string } {
  if (orderCurrency === payoutCurrency) return { rate: '1', markup: '0' };
  // (order USD ÷ payout USD) × (1 − markup ÷ 100), as one quotient so that its one rounding is exact
  const kept = decimal(USD_PER_UNIT[orderCurrency]!).times(new Big(100).minus(decimal(FX_MARKUP_PERCENT)));
  const rate = quotient(kept, decimal(USD_PER_UNIT[payoutCurrency]!).times(100), 14);
  return { rate: rate.toFixed(), markup: FX_MARKUP_PERCENT }; // toFixed(): no exponent, no trailing zeros
}

/**
 * PAYABLE_AMOUNT: (IPN_TOTALGENERAL − IPN_COMMISSION) × FX_RATE, rounded half away from zero to the payout currency's
 * minor unit. 2Checkout's own IPN fixtures all satisfy it (test/unit/sandbox-fees.test.ts).
 */
export function payableAmount(total: Big, commission: Big, fxRate: string, payoutCurrency: string): string {
  const scale = currencyExponent(payoutCurrency);
  // rounded first, so toFixed writes −0.001 as `0.00`, never `-0.00`
  return total.minus(commission).times(decimal(fxRate)).round(scale, Big.roundHalfUp).toFixed(scale);
}

/**
 * The fee fields of one IPN about an order of `gross` (what the buyer paid) in `currency`, whose IPN_TOTALGENERAL is
 * `total` (negative on refunds and reversals). Null for a currency without a stated rate (the checkout sells in none;
 * an order kept from an older sandbox might be).
 */
export function feeFieldsFor(opts: {
  orderStatus: string;
  gross: string;
  total: string;
  currency: string;
  plan: SandboxPlan;
  payoutCurrency: string;
}): FeeFields | null {
  const { currency, payoutCurrency } = opts;
  if (!hasRate(currency) || !hasRate(payoutCurrency)) return null;
  const fx = fxRateOf(currency, payoutCurrency);
  // gross × percent ÷ 100 + fixedUsd ÷ USD per unit, as one quotient so that its one rounding (to 4 decimals) is exact:
  // (gross × percent × USD per unit + fixedUsd × 100) ÷ (USD per unit × 100)
  const usdPerUnit = decimal(USD_PER_UNIT[currency]!);
  const hundredfoldUsd = decimal(opts.gross)
    .times(decimal(opts.plan.percent))
    .times(usdPerUnit)
    .plus(decimal(opts.plan.fixedUsd).times(100));
  const saleCommission = quotient(hundredfoldUsd, usdPerUnit.times(100), 4);
  // a refund keeps the sale's commission; a reversal returns the sale's commission and payout whole
  const commission =
    opts.orderStatus === 'REFUND'
      ? new Big(0)
      : opts.orderStatus === 'REVERSED'
        ? saleCommission.neg()
        : saleCommission;
  const total = opts.orderStatus === 'REVERSED' ? decimal(opts.gross).neg() : decimal(opts.total);
  return {
    IPN_COMMISSION: commission.round(4, Big.roundHalfUp).toFixed(4),
    FX_RATE: fx.rate,
    FX_MARKUP: fx.markup,
    PAYABLE_AMOUNT: payableAmount(total, commission, fx.rate, payoutCurrency),
    PAYOUT_CURRENCY: payoutCurrency,
  };
}
