import Big from 'big.js';
import { code as iso4217 } from 'currency-codes';

/** Money is integer minor units plus an ISO 4217 code; decimal strings only at the edges. Never floats. */
export class MoneyError extends Error {
  readonly code = 'INVALID_AMOUNT';
  constructor(message: string) {
    super(message);
    this.name = 'MoneyError';
  }
}

/**
 * The ISO 4217 minor-unit exponent (RUB 2, JPY 0, KWD 3). Throws for codes that are not currencies, including the
 * metals, bond units and testing codes (XAU, XTS, …) that ISO lists without a minor unit.
 */
export function currencyExponent(currency: string): number {
  const entry = /^[A-Z]{3}$/.test(currency) ? iso4217(currency) : undefined;
  if (!entry || entry.countries.some((c) => c.startsWith('Zz'))) {
    throw new MoneyError(`${JSON.stringify(currency)} is not an ISO 4217 currency code`);
  }
  return entry.digits;
}

export function isCurrency(currency: string): boolean {
  try {
    currencyExponent(currency);
    return true;
  } catch {
    return false;
  }
}

/** A decimal as amounts are written here: an optional `-`, digits, an optional fraction. Nothing else. */
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * `"50.00"` RUB → 5000. Accepts an optional `-` (refund totals are negative), digits, and at most the currency's
 * exponent of fraction digits, plus trailing zeros (`"500.00"` JPY → 500). Refuses anything else, and amounts
 * beyond exact integer range.
 */
export function toMinorUnits(amount: string, currency: string): number {
  const exponent = currencyExponent(currency);
  const m = DECIMAL.exec(amount);
  if (!m) throw new MoneyError(`${JSON.stringify(amount)} is not a decimal amount`);
  const [, sign, whole, fraction = ''] = m;
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > exponent) {
    throw new MoneyError(`${amount} ${currency} has more than ${exponent} decimal places`);
  }
  const minor = BigInt(whole! + significant.padEnd(exponent, '0'));
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw new MoneyError(`${amount} ${currency} is too large`);
  const n = Number(minor);
  return sign === '-' && n !== 0 ? -n : n;
}

/** 5000 RUB → `"50.00"`; 500 JPY → `"500"`; -125 USD → `"-1.25"`. */
export function fromMinorUnits(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) throw new MoneyError(`${minor} is not an integer amount of minor units`);
  const exponent = currencyExponent(currency);
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return `${minor < 0 ? '-' : ''}${whole}${exponent > 0 ? `.${fraction}` : ''}`;
}

/** Longer strings are not amounts or rates anyone sends: refused before big.js reads them. */
const MAX_DECIMAL_CHARS = 40;

/**
 * `"-0.5985"` → the exact decimal (big.js); null for anything but an optional `-`, digits and an optional fraction (no
 * exponent, `+`, spaces or `NaN`, which big.js would read or throw on), and for strings over 40 characters.
 */
export function parseDecimal(text: string): Big | null {
  return text.length <= MAX_DECIMAL_CHARS && DECIMAL.test(text) ? new Big(text) : null;
}

/** An amount as the API shows it, `{ amount: "50.00", currency: "RUB" }`; null when either part is unknown. */
export function moneyView(minor: number | null, currency: string | null): { amount: string; currency: string } | null {
  return minor === null || currency === null ? null : { amount: fromMinorUnits(minor, currency), currency };
}
