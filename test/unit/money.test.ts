import { currencyExponent, fromMinorUnits, MoneyError, toMinorUnits } from '../../lib/money';

describe('money', () => {
  it.each([
    ['50.00', 'RUB', 5000],
    ['50', 'RUB', 5000],
    ['0.5', 'USD', 50],
    ['500', 'JPY', 500],
    ['500.00', 'JPY', 500],
    ['1.234', 'KWD', 1234],
    ['-49.00', 'USD', -4900],
    ['-0.00', 'USD', 0],
    ['90071992547409.91', 'USD', 9007199254740991],
  ])('When %s %s is read, then it is %d minor units', (amount, currency, minor) => {
    expect(toMinorUnits(amount, currency)).toBe(minor);
  });

  it.each([
    [5000, 'RUB', '50.00'],
    [500, 'JPY', '500'],
    [1234, 'KWD', '1.234'],
    [5, 'USD', '0.05'],
    [-125, 'USD', '-1.25'],
    [0, 'EUR', '0.00'],
  ])('When %d %s minor units are written, then it reads %s', (minor, currency, amount) => {
    expect(fromMinorUnits(minor, currency)).toBe(amount);
    expect(toMinorUnits(amount, currency)).toBe(minor);
  });

  it.each([
    ['0.505', 'USD'],
    ['1.5', 'JPY'],
    ['1e3', 'USD'],
    ['1,00', 'USD'],
    [' 1.00', 'USD'],
    ['+1.00', 'USD'],
    ['.5', 'USD'],
    ['', 'USD'],
    ['90071992547409.92', 'USD'],
    ['1.00', 'XXX'],
    ['1.00', 'XAU'],
    ['1.00', 'rub'],
    ['1.00', 'ABC'],
  ])('When %j %s is read, then it is refused', (amount, currency) => {
    expect(() => toMinorUnits(amount, currency)).toThrow(MoneyError);
  });

  it('When exponents are asked for, then they are ISO 4217 (not CLDR: IQD has 3, not 0)', () => {
    expect([
      currencyExponent('RUB'),
      currencyExponent('JPY'),
      currencyExponent('IQD'),
      currencyExponent('CLP'),
    ]).toEqual([2, 0, 3, 0]);
  });

  it('When minor units are not a safe integer, then they are refused', () => {
    expect(() => fromMinorUnits(1.5, 'USD')).toThrow(MoneyError);
  });
});
