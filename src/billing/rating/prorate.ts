// Proration of a monthly price over the time a VM was assigned, by largest remainder: the slices of one VM's
// period are weights next to the unassigned rest, so the parts of a fully assigned period sum to the monthly price.
import { allocate } from '../money.ts';

/** Part of `monthly` for slice `index` of `sliceMs`, with `periodMs` the whole period. */
export function prorate(monthly: bigint, sliceMs: ReadonlyArray<bigint>, index: number, periodMs: bigint): bigint {
  const used = sliceMs.reduce((a, b) => a + b, 0n);
  const rest = periodMs > used ? periodMs - used : 0n;
  if (used === 0n) return 0n;
  return allocate(monthly, [...sliceMs, rest])[index];
}

/** All parts at once (used by tests and by callers that bill every slice). */
export function prorateAll(monthly: bigint, sliceMs: ReadonlyArray<bigint>, periodMs: bigint): bigint[] {
  return sliceMs.map((_, i) => prorate(monthly, sliceMs, i, periodMs));
}
