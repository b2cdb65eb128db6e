// Line amounts with one rounding: raw units × unit price × fraction ÷ divisor → minor units, half-even, once.
import { Decimal, roundHalfEven } from '../decimal.ts';
import { currencyExponent } from '../money.ts';

/**
 * Minor units for `rawUnits` (meter units) at `unitPrice` per display unit, where one display unit is `divisor`
 * raw units, optionally times fraction num/den (proration). Everything exact until the single rounding.
 */
export function lineAmount(
  rawUnits: Decimal,
  unitPrice: Decimal,
  divisor: bigint,
  currency: string,
  fraction: { num: bigint; den: bigint } = { num: 1n, den: 1n },
): bigint {
  const p = rawUnits.mul(unitPrice);
  const num = p.coef * 10n ** BigInt(currencyExponent(currency)) * fraction.num;
  const den = 10n ** BigInt(p.scale) * divisor * fraction.den;
  return roundHalfEven(num, den);
}

/** Display quantity (exact) for raw units. Terminating divisors stay exact; others keep 12 digits for display. */
export function displayQuantity(rawUnits: Decimal, divisor: bigint): Decimal {
  return rawUnits.divRound(divisor, 12);
}
