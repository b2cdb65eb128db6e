// Graduated tiers with an included allowance: usage in [0, included) is free; each tier [lo, upTo) charges only
// the units above the allowance, so a tier straddling the allowance is billed for its part above it.
import { Decimal } from '../decimal.ts';
import type { Tier } from '../catalogue/types.ts';

export interface TierSegment {
  /** 'included' or the 1-based tier number. */
  tier: 'included' | number;
  /** Raw units from..to (total-usage coordinates). */
  from: Decimal;
  to: Decimal;
  units: Decimal;
  unitPrice: Decimal;
}

/** Split raw usage into the included part and per-tier parts; quantities in raw meter units. */
export function graduate(raw: Decimal, includedRaw: Decimal, tiers: ReadonlyArray<Tier>, divisor: bigint): TierSegment[] {
  const out: TierSegment[] = [];
  if (raw.isZero() || raw.isNegative()) return out;
  const inc = Decimal.min(raw, includedRaw);
  if (!inc.isZero()) out.push({ tier: 'included', from: Decimal.ZERO, to: inc, units: inc, unitPrice: Decimal.ZERO });
  let lo = Decimal.ZERO;
  parsedTiers(tiers, divisor).forEach((t, i) => {
    const from = Decimal.max(lo, includedRaw);
    const to = t.hi === null ? raw : Decimal.min(t.hi, raw);
    if (to.cmp(from) > 0) out.push({ tier: i + 1, from, to, units: to.sub(from), unitPrice: t.unitPrice });
    if (t.hi !== null) lo = t.hi;
  });
  return out;
}

// Plans are immutable, so their tiers are parsed once per run rather than once per VM and component.
const cache = new WeakMap<ReadonlyArray<Tier>, Map<bigint, Array<{ hi: Decimal | null; unitPrice: Decimal }>>>();
function parsedTiers(tiers: ReadonlyArray<Tier>, divisor: bigint): Array<{ hi: Decimal | null; unitPrice: Decimal }> {
  let byDivisor = cache.get(tiers);
  if (!byDivisor) cache.set(tiers, (byDivisor = new Map()));
  let parsed = byDivisor.get(divisor);
  if (!parsed) {
    parsed = tiers.map((t) => ({ hi: t.upTo === null ? null : Decimal.parse(t.upTo).mul(divisor), unitPrice: Decimal.parse(t.unitPrice) }));
    byDivisor.set(divisor, parsed);
  }
  return parsed;
}
