// Tax on an invoice subtotal, rounded once, half-even. Exclusive: added on top. Inclusive: the subtotal already
// contains it and tax = subtotal × r / (100 + r) is extracted (total = subtotal).
import { Decimal, roundHalfEven } from '../decimal.ts';

export function computeTax(subtotal: bigint, ratePercent: string, inclusive: boolean): { tax: bigint; total: bigint } {
  const r = Decimal.parse(ratePercent);
  if (r.isZero()) return { tax: 0n, total: subtotal };
  const scale = 10n ** BigInt(r.scale);
  if (inclusive) {
    const tax = roundHalfEven(subtotal * r.coef, 100n * scale + r.coef);
    return { tax, total: subtotal };
  }
  const tax = roundHalfEven(subtotal * r.coef, 100n * scale);
  return { tax, total: subtotal + tax };
}
