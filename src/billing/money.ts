// Money = bigint minor units + ISO 4217 code; converting exact decimals to minor units rounds half-even, once.
// allocate() splits an amount by weights with the largest-remainder method so the parts always sum to the whole.
import { Decimal, roundHalfEven } from './decimal.ts';
import { BillingError } from './errors.ts';

export interface Money {
  amount: bigint;
  currency: string;
}

/** ISO 4217 minor-unit exponents for the currencies we accept (absent = refused, not guessed). */
export const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = {
  USD: 2, EUR: 2, GBP: 2, CHF: 2, CAD: 2, AUD: 2, NZD: 2, SEK: 2, NOK: 2, DKK: 2, PLN: 2, CZK: 2, HUF: 2,
  RON: 2, BGN: 2, INR: 2, BRL: 2, MXN: 2, ZAR: 2, SGD: 2, HKD: 2, CNY: 2, ILS: 2, TRY: 2,
  JPY: 0, KRW: 0, ISK: 0, CLP: 0, VND: 0, XOF: 0, XAF: 0, PYG: 0, UGX: 0,
  KWD: 3, BHD: 3, OMR: 3, JOD: 3, TND: 3, LYD: 3, IQD: 3,
};

export function currencyExponent(currency: string): number {
  const e = CURRENCY_EXPONENTS[currency];
  if (e === undefined) {
    throw new BillingError('InvalidInput', `unknown currency "${currency}": use an ISO 4217 code listed in CURRENCY_EXPONENTS (e.g. USD, EUR, JPY, KWD)`);
  }
  return e;
}

export function isCurrency(code: string): boolean {
  return CURRENCY_EXPONENTS[code] !== undefined;
}

export function money(amount: bigint, currency: string): Money {
  currencyExponent(currency);
  return { amount, currency };
}

export function addMoney(a: Money, b: Money): Money {
  if (a.currency !== b.currency) throw new BillingError('CurrencyMismatch', `cannot add ${a.currency} to ${b.currency}`);
  return { amount: a.amount + b.amount, currency: a.currency };
}

/** Major-unit decimal → minor units, half-even (e.g. 1.005 USD → 100, 1.015 USD → 102). */
export function toMinorUnits(major: Decimal, currency: string): bigint {
  const exp = currencyExponent(currency);
  const scaled = major.mul(10n ** BigInt(exp));
  return roundHalfEven(scaled.coef, 10n ** BigInt(scaled.scale));
}

/** Minor units → exact major-unit decimal (for display and for percent maths). */
export function toMajor(amount: bigint, currency: string): Decimal {
  return Decimal.of(amount, currencyExponent(currency));
}

/** '1234.50 EUR', '1500 JPY', '-0.125 KWD' — always all minor digits, no float formatting. */
export function formatMoney(m: Money): string {
  return `${formatAmount(m.amount, m.currency)} ${m.currency}`;
}

export function formatAmount(amount: bigint, currency: string): string {
  const exp = currencyExponent(currency);
  return toMajor(amount, currency).toString(exp);
}

/**
 * Split `total` into parts proportional to `weights` (non-negative, not all zero) so that the parts sum
 * exactly to `total`. Each part gets floor(total·w/W); the units left over go one each to the largest
 * remainders, ties to the lower index (deterministic). Negative totals are split as -(split of |total|).
 */
export function allocate(total: bigint, weights: ReadonlyArray<bigint>): bigint[] {
  if (weights.length === 0) throw new BillingError('InvalidInput', 'allocate: at least one weight is needed');
  if (weights.some((w) => w < 0n)) throw new BillingError('InvalidInput', 'allocate: weights must be non-negative');
  const sum = weights.reduce((a, b) => a + b, 0n);
  if (sum === 0n) throw new BillingError('InvalidInput', 'allocate: weights must not all be zero');
  if (total < 0n) return allocate(-total, weights).map((p) => -p);
  const parts = weights.map((w) => (total * w) / sum);
  const rema = weights.map((w, i) => ({ i, r: (total * w) % sum }));
  let left = total - parts.reduce((a, b) => a + b, 0n);
  rema.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (let k = 0; left > 0n; k++, left--) parts[rema[k].i] += 1n;
  return parts;
}
