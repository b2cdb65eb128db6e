// Tithe arithmetic: exact bigint splits. The tithe is rounded once (half-even) per payment, revenue takes
// the rest, and reversals are cumulative so partial refunds sum to exactly the original tithe.
import { roundHalfEven } from '../decimal.ts';

/** n / d rounded half-to-even (the billing money module's rule); d > 0. */
export function divHalfEven(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError('divHalfEven: divisor must be positive');
  return roundHalfEven(n, d);
}

export interface TitheSplit {
  tithe: bigint;
  revenue: bigint;
}

/** Split a captured amount: tithe = amount × bps / 10000 (half-even), revenue = amount − tithe. */
export function splitTithe(amount: bigint, bps: number): TitheSplit {
  if (!Number.isInteger(bps) || bps < 0 || bps > 10_000) throw new RangeError(`tithe bps must be an integer 0..10000, got ${bps}`);
  if (amount < 0n) throw new RangeError('splitTithe: amount must not be negative');
  const tithe = divHalfEven(amount * BigInt(bps), 10_000n);
  return { tithe, revenue: amount - tithe };
}

/**
 * Tithe to reverse for a refund/chargeback of `amount`, given what was already reversed of this payment.
 * Computed on the cumulative reversed total, so the parts over any sequence of partial reversals sum to
 * exactly `tithe` once `reversedBefore + amount === paid`.
 */
export function titheReversal(p: { paid: bigint; tithe: bigint; reversedBefore: bigint; amount: bigint }): bigint {
  const after = p.reversedBefore + p.amount;
  if (p.amount <= 0n || after > p.paid) {
    throw new RangeError(`reversal of ${p.amount} after ${p.reversedBefore} exceeds the payment of ${p.paid}`);
  }
  const cum = (x: bigint) => divHalfEven(p.tithe * x, p.paid);
  return cum(after) - cum(p.reversedBefore);
}
