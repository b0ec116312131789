/**
 * What 2Checkout keeps and pays out on an order, as its IPN states it (PROTOCOL.md §1.2). Informational only: nothing
 * here decides an invoice's status. Pure, no I/O.
 *
 * - `IPN_COMMISSION`: 2Checkout's fee, in the order currency (`CURRENCY`), with up to 4 decimals (`0.5985`).
 * - `PAYABLE_AMOUNT`: what the merchant is paid for the order, in `PAYOUT_CURRENCY`, after the fee and conversion;
 *   negative when the fee exceeds a tiny order, and on refunds.
 * - `FX_RATE`: order currency → payout currency (`1` when they are the same), kept as 2Checkout wrote it.
 *
 * 2Checkout's own fixtures fit `PAYABLE_AMOUNT = round((IPN_TOTALGENERAL − IPN_COMMISSION) × FX_RATE, 2)`: 2.00 USD
 * − 0.5985 → 1.40 USD; 95.00 − 3.6766 → 91.32; 59.00 − 2.4287 → 56.57; and (0.01 RON − 2.7678 RON) ×
 * 0.20810660205937 → −0.57 USD, which shows the commission is in the order currency, not the payout currency.
 */
import Big from 'big.js';
import { currencyExponent, isCurrency, parseDecimal } from '../money';

export interface IpnMoney {
  /** IPN_COMMISSION in minor units of `feeCurrency`, rounded half away from zero (0.5985 USD → 60). */
  readonly feeMinor: number;
  /** The order currency (the IPN's CURRENCY). */
  readonly feeCurrency: string;
  /** PAYABLE_AMOUNT in minor units of `payoutCurrency`. */
  readonly payoutMinor: number;
  readonly payoutCurrency: string;
  /** FX_RATE as 2Checkout wrote it; null when absent or not a plain decimal. */
  readonly fxRate: string | null;
}

/** A plain positive decimal, as a rate is written: `1`, `0.20810660205937`. */
const RATE = /^\d{1,20}(\.\d{1,20})?$/;

/**
 * The fee and payout an IPN states, or null when it does not state both readably (the account's IPN settings may
 * leave the fields out; 2Checkout's values may be odd). Never throws on what an IPN contains.
 */
export function ipnMoneyOf(ipn: { get(name: string): string | undefined }): IpnMoney | null {
  const feeCurrency = currencyOf(ipn.get('CURRENCY'));
  const payoutCurrency = currencyOf(ipn.get('PAYOUT_CURRENCY'));
  if (feeCurrency === null || payoutCurrency === null) return null;
  const feeMinor = roundedMinorUnits(ipn.get('IPN_COMMISSION'), feeCurrency);
  const payoutMinor = roundedMinorUnits(ipn.get('PAYABLE_AMOUNT'), payoutCurrency);
  if (feeMinor === null || payoutMinor === null) return null;
  const fxRate = ipn.get('FX_RATE') ?? '';
  return { feeMinor, feeCurrency, payoutMinor, payoutCurrency, fxRate: RATE.test(fxRate) ? fxRate : null };
}

/**
 * A decimal string in minor units of `currency`, rounded half away from zero to the currency's minor unit (4 decimals
 * of a commission → 2 for USD, 0 for JPY); null when unreadable or beyond exact integer range.
 */
export function roundedMinorUnits(amount: string | undefined, currency: string): number | null {
  const value = parseDecimal(amount ?? '');
  if (value === null) return null;
  const minor = value.times(new Big(10).pow(currencyExponent(currency))).round(0, Big.roundHalfUp);
  // rounded first, so toFixed writes −0.0049 USD as `0`, never `-0`
  return minor.abs().gt(Number.MAX_SAFE_INTEGER) ? null : Number(minor.toFixed());
}

function currencyOf(code: string | undefined): string | null {
  const upper = (code ?? '').trim().toUpperCase();
  return isCurrency(upper) ? upper : null;
}
