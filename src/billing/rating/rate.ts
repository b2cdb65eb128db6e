// Pure rating of one tenant's period: slices + raw usage → lines (base, per-VM usage tiers, p95, cap, pooled).
// No database here, so the same function prices a period now and re-prices it later for late usage.
import { Decimal } from '../decimal.ts';
import { currencyExponent } from '../money.ts';
import { COMPONENTS, NETWORK_COMPONENTS, type ComponentName, type PlanComponent } from '../catalogue/types.ts';
import { graduate } from './tiers.ts';
import { lineAmount, displayQuantity } from './amounts.ts';
import { prorate } from './prorate.ts';
import { P95_KEY, type AssignmentSlice, type RatedLine, type UsageByAssignment, type UsageSnapshotRow } from './types.ts';

/** 5-minute sample: bits per Mbit/s sustained for 300 s. */
export const BITS_PER_MBPS_SAMPLE = 300n * 1_000_000n;

export interface RateResult {
  lines: RatedLine[];
  usage: UsageSnapshotRow[];
}

function isPooled(slice: AssignmentSlice, c: ComponentName): boolean {
  return slice.plan.bandwidth.model === 'pooled' && NETWORK_COMPONENTS.includes(c);
}

function fmtRange(s: Date, e: Date): string {
  return `${s.toISOString().slice(0, 16).replace('T', ' ')}–${e.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function tierLines(
  base: Omit<RatedLine, 'kind' | 'key' | 'description' | 'quantity' | 'unitPrice' | 'amount' | 'unit'>,
  kind: 'usage' | 'pooled',
  keyPrefix: string,
  label: string,
  pc: PlanComponent,
  raw: Decimal,
  includedRaw: Decimal,
  currency: string,
): RatedLine[] {
  const meta = COMPONENTS[pc.component];
  return graduate(raw, includedRaw, pc.tiers, meta.divisor).map((seg) => ({
    ...base,
    kind,
    key: `${keyPrefix}|${pc.component}|${seg.tier}`,
    description:
      seg.tier === 'included'
        ? `${label} (included)`
        : `${label} (tier ${seg.tier}: ${displayQuantity(seg.from, meta.divisor).round(3)}–${displayQuantity(seg.to, meta.divisor).round(3)} ${meta.unit})`,
    quantity: displayQuantity(seg.units, meta.divisor),
    unit: meta.unit,
    unitPrice: seg.unitPrice,
    amount: lineAmount(seg.units, seg.unitPrice, meta.divisor, currency),
  }));
}

export function rateTenantPeriod(input: {
  currency: string;
  periodStart: Date;
  slices: ReadonlyArray<AssignmentSlice>;
  usage: UsageByAssignment;
}): RateResult {
  const { currency, slices, usage } = input;
  const exp = currencyExponent(currency);
  const lines: RatedLine[] = [];
  const snap: UsageSnapshotRow[] = [];
  const pools = new Map<string, { pc: PlanComponent; raw: Decimal; included: Decimal; vms: number; start: Date; end: Date; planName: string }>();
  const ordered = [...slices].sort(bySlice);

  for (const s of ordered) {
    const u = usage.get(s.assignmentId) ?? new Map<string, Decimal>();
    const common = { vmUuid: s.vmUuid, vmName: s.vmName, component: null, rangeStart: s.start, rangeEnd: s.end };
    const own: RatedLine[] = [];
    const sliceMs = s.siblingMs[s.siblingIndex];
    const ranged = s.start.getTime() !== input.periodStart.getTime() || sliceMs !== s.periodMs;
    own.push({
      ...common,
      kind: 'base',
      key: `base|${s.assignmentId}`,
      description: `${s.plan.name} — base price${ranged ? ` (${fmtRange(s.start, s.end)})` : ''}`,
      quantity: Decimal.of(sliceMs, 3).divRound(3600n, 6),
      unit: 'h',
      unitPrice: Decimal.of(s.plan.basePrice, exp).divRound(Decimal.of(s.periodMs, 3).divRound(3600n, 6), 12),
      amount: prorate(s.plan.basePrice, s.siblingMs, s.siblingIndex, s.periodMs),
    });
    for (const pc of s.plan.components) {
      const meta = COMPONENTS[pc.component];
      const raw = u.get(pc.component) ?? Decimal.ZERO;
      const includedRaw = Decimal.parse(pc.included).mul(meta.divisor);
      snap.push({ sourcePeriodStart: input.periodStart, assignmentId: s.assignmentId, vmUuid: s.vmUuid, component: pc.component, rangeStart: s.start, rangeEnd: s.end, rawQuantity: raw });
      if (isPooled(s, pc.component)) {
        const k = `${s.plan.id}|${pc.component}`;
        const p = pools.get(k) ?? { pc, raw: Decimal.ZERO, included: Decimal.ZERO, vms: 0, start: s.start, end: s.end, planName: s.plan.name };
        p.raw = p.raw.add(raw);
        p.included = p.included.add(includedRaw);
        p.vms += 1;
        if (s.start < p.start) p.start = s.start;
        if (s.end > p.end) p.end = s.end;
        pools.set(k, p);
        continue;
      }
      own.push(...tierLines({ ...common, component: pc.component }, 'usage', `usage|${s.assignmentId}`, meta.label, pc, raw, includedRaw, currency));
    }
    const bw = s.plan.bandwidth;
    if (bw.model === 'p95') {
      const peakBits = u.get(P95_KEY) ?? Decimal.ZERO;
      snap.push({ sourcePeriodStart: input.periodStart, assignmentId: s.assignmentId, vmUuid: s.vmUuid, component: P95_KEY, rangeStart: s.start, rangeEnd: s.end, rawQuantity: peakBits });
      const included = Decimal.parse(bw.includedMbps).mul(BITS_PER_MBPS_SAMPLE);
      const billable = Decimal.max(Decimal.ZERO, peakBits.sub(included));
      const price = Decimal.parse(bw.pricePerMbps);
      // Prorated by the slice's share of the period, inside the single rounding.
      own.push({
        ...common,
        component: P95_KEY,
        kind: 'p95',
        key: `p95|${s.assignmentId}`,
        description: `Bandwidth, 95th percentile ${displayQuantity(peakBits, BITS_PER_MBPS_SAMPLE).round(3)} Mbit/s (${bw.includedMbps} included)`,
        quantity: displayQuantity(billable, BITS_PER_MBPS_SAMPLE),
        unit: 'Mbit/s',
        unitPrice: price,
        amount: lineAmount(billable, price, BITS_PER_MBPS_SAMPLE, currency, { num: sliceMs, den: s.periodMs }),
      });
    }
    if (s.plan.monthlyCap !== null) {
      const cap = prorate(s.plan.monthlyCap, s.siblingMs, s.siblingIndex, s.periodMs);
      const sum = own.filter((l) => l.kind === 'base' || l.kind === 'usage').reduce((a, l) => a + l.amount, 0n);
      if (sum > cap) {
        own.push({ ...common, kind: 'cap', key: `cap|${s.assignmentId}`, description: `Monthly cap ${s.plan.name}`, quantity: Decimal.of(1n), unit: 'cap', unitPrice: Decimal.of(cap - sum, exp), amount: cap - sum });
      }
    }
    lines.push(...own);
  }

  for (const [k, p] of [...pools.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const meta = COMPONENTS[p.pc.component];
    const label = `${meta.label}, pooled over ${p.vms} VM${p.vms === 1 ? '' : 's'} on ${p.planName}`;
    lines.push(
      ...tierLines({ vmUuid: null, vmName: null, component: p.pc.component, rangeStart: p.start, rangeEnd: p.end }, 'pooled', `pool|${k}`, label, p.pc, p.raw, p.included, currency),
    );
  }
  return { lines, usage: snap };
}

/** Lines ordered by VM name, then UUID, then time (plain code-unit order: stable across locales and fast). */
function bySlice(a: AssignmentSlice, b: AssignmentSlice): number {
  if (a.vmName !== b.vmName) return a.vmName < b.vmName ? -1 : 1;
  if (a.vmUuid !== b.vmUuid) return a.vmUuid < b.vmUuid ? -1 : 1;
  return a.start.getTime() - b.start.getTime();
}
