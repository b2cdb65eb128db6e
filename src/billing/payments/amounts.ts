// Exact conversions between our minor units and the decimal strings PayPal speaks ("12.34", "1500").
import { currencyExponent, formatAmount } from '../money.ts';

export function minorToDecimal(amount: bigint, currency: string): string {
  return formatAmount(amount, currency);
}

/** "12.34" USD → 1234n. Refuses more fraction digits than the currency has: never rounds. */
export function decimalToMinor(value: string, currency: string): bigint {
  const exp = currencyExponent(currency);
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!m) throw new RangeError(`amount ${JSON.stringify(value)} is not a decimal number`);
  const frac = m[3] ?? '';
  if (frac.length > exp && /[1-9]/.test(frac.slice(exp))) {
    throw new RangeError(`amount ${value} ${currency} has more than ${exp} fraction digit(s)`);
  }
  const digits = m[2] + frac.slice(0, exp).padEnd(exp, '0');
  const n = BigInt(digits);
  return m[1] === '-' ? -n : n;
}
