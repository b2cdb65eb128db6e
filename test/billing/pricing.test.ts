// Pure pricing rules, table-driven: tiers around allowances, proration, caps, p95 pricing, pooling, tax, currencies.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decimal } from '../../src/billing/decimal.ts';
import { graduate } from '../../src/billing/rating/tiers.ts';
import { prorateAll } from '../../src/billing/rating/prorate.ts';
import { computeTax } from '../../src/billing/rating/tax.ts';
import { lineAmount } from '../../src/billing/rating/amounts.ts';
import { rateTenantPeriod, BITS_PER_MBPS_SAMPLE } from '../../src/billing/rating/rate.ts';
import { P95_KEY, type AssignmentSlice } from '../../src/billing/rating/types.ts';
import type { Plan } from '../../src/billing/catalogue/plans.ts';
import type { PlanComponent, Bandwidth } from '../../src/billing/catalogue/types.ts';

const HOUR = 3_600_000n;
const MARCH_MS = 744n * HOUR;
const start = new Date('2026-03-01T00:00:00Z');
const end = new Date('2026-04-01T00:00:00Z');

function fakePlan(over: Partial<Plan> = {}): Plan {
  return { id: 'p1', name: 'P', currency: 'EUR', basePrice: 0n, components: [], bandwidth: { model: 'volume' }, monthlyCap: null, createdAt: start, ...over };
}
function slice(id: string, plan: Plan, over: Partial<AssignmentSlice> = {}): AssignmentSlice {
  return { assignmentId: id, vmUuid: `vm-${id}`, vmName: `vm-${id}`, tenantId: 't', plan, start, end, siblingMs: [MARCH_MS], siblingIndex: 0, periodMs: MARCH_MS, periodStart: start, ...over };
}
const usage = (entries: Array<[string, Record<string, string>]>) =>
  new Map(entries.map(([id, m]) => [id, new Map(Object.entries(m).map(([k, v]) => [k, Decimal.parse(v)]))]));

describe('graduated tiers with an included allowance', () => {
  const tiers = [
    { upTo: '100', unitPrice: '0.10' },
    { upTo: '500', unitPrice: '0.05' },
    { upTo: null, unitPrice: '0.01' },
  ];
  // usage (display units), included → [tier, units] billed; a tier straddling the allowance bills only its part above it.
  it.each([
    ['0', '0', []],
    ['50', '0', [['1', '50']]],
    ['50', '80', [['included', '50']]],
    ['150', '80', [['included', '80'], ['1', '20'], ['2', '50']]],
    ['150', '100', [['included', '100'], ['2', '50']]],
    ['700', '300', [['included', '300'], ['2', '200'], ['3', '200']]],
    ['700', '1000', [['included', '700']]],
    ['100', '0', [['1', '100']]],
  ] as Array<[string, string, string[][]]>)('usage %s, included %s', (q, inc, want) => {
    const segs = graduate(Decimal.parse(q), Decimal.parse(inc), tiers, 1n);
    expect(segs.map((s) => [String(s.tier), s.units.toString()])).toEqual(want);
    expect(segs.reduce((a, s) => a.add(s.units), Decimal.ZERO).toString()).toBe(q);
  });

  it('prices a CPU component from raw seconds with one rounding per line', () => {
    const pc: PlanComponent = { component: 'cpu_hours', included: '10', tiers: [{ upTo: '100', unitPrice: '0.013' }, { upTo: null, unitPrice: '0.007' }] };
    // 400 h used (1,440,000 s): 10 free, 90 × 0.013 = 1.17, 300 × 0.007 = 2.10
    const r = rateTenantPeriod({ currency: 'EUR', periodStart: start, slices: [slice('a', fakePlan({ components: [pc] }))], usage: usage([['a', { cpu_hours: '1440000' }]]) });
    expect(r.lines.filter((l) => l.kind === 'usage').map((l) => [l.quantity.toString(), l.amount])).toEqual([['10', 0n], ['90', 117n], ['300', 210n]]);
  });
});

describe('base price proration', () => {
  it('any split of a fully assigned month sums to the monthly price', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.array(fc.integer({ min: 1, max: 743 }), { maxLength: 12 }),
        (monthly, cuts) => {
          const points = [...new Set(cuts)].sort((a, b) => a - b);
          const bounds = [0, ...points, 744];
          const segs = bounds.slice(1).map((b, i) => BigInt(b - bounds[i]) * HOUR);
          const parts = prorateAll(monthly, segs, MARCH_MS);
          expect(parts.reduce((a, b) => a + b, 0n)).toBe(monthly);
          parts.forEach((p, i) => {
            const diff = p * MARCH_MS - monthly * segs[i];
            expect((diff < 0n ? -diff : diff) < MARCH_MS).toBe(true);
          });
        },
      ),
    );
  });

  it.each([
    // monthly, assigned hours of 744 → prorated amount
    [1000n, 744n, 1000n],
    [1000n, 372n, 500n],
    [1000n, 1n, 1n], // 1.344 → 1
    [999n, 248n, 333n],
    [500n, 0n, 0n],
  ])('%d per month for %d of 744 hours → %d', (monthly, hours, want) => {
    const parts = prorateAll(monthly, [hours * HOUR], MARCH_MS);
    expect(parts[0]).toBe(want);
  });
});

describe('monthly cap on base + per-VM metered charges', () => {
  const pc: PlanComponent = { component: 'cpu_hours', included: '0', tiers: [{ upTo: null, unitPrice: '1' }] };
  it.each([
    // cpu hours used, cap (minor) → total charged
    ['5', 2000n, 1500n], // 10.00 base + 5.00 cpu = 15.00 < 20.00 cap
    ['50', 2000n, 2000n], // 60.00 capped at 20.00
    ['10', 2000n, 2000n], // exactly at the cap: no cap line
  ])('%s CPU h with cap %d → %d', (hours, cap, want) => {
    const plan = fakePlan({ basePrice: 1000n, monthlyCap: cap, components: [pc] });
    const raw = Decimal.parse(hours).mul(3600n).toString();
    const r = rateTenantPeriod({ currency: 'EUR', periodStart: start, slices: [slice('a', plan)], usage: usage([['a', { cpu_hours: raw }]]) });
    expect(r.lines.reduce((a, l) => a + l.amount, 0n)).toBe(want);
    expect(r.lines.some((l) => l.kind === 'cap')).toBe(want < 1000n + BigInt(hours) * 100n);
  });

  it('prorates the cap like the base for half a month', () => {
    const plan = fakePlan({ basePrice: 1000n, monthlyCap: 2000n, components: [pc] });
    const half = slice('a', plan, { end: new Date('2026-03-16T12:00:00Z'), siblingMs: [372n * HOUR] });
    const r = rateTenantPeriod({ currency: 'EUR', periodStart: start, slices: [half], usage: usage([['a', { cpu_hours: String(100 * 3600) }]]) });
    expect(r.lines.reduce((a, l) => a + l.amount, 0n)).toBe(1000n);
  });
});

describe('95th percentile bandwidth pricing', () => {
  const bw: Bandwidth = { model: 'p95', pricePerMbps: '2.50', includedMbps: '10' };
  it.each([
    // peak bytes per 5 min → amount (EUR cents): Mbit/s = bytes × 8 / 300e6
    [1_875_000_000n, 10000n], // 50 Mbit/s − 10 included = 40 × 2.50 = 100.00
    [375_000_000n, 0n], // 10 Mbit/s: all included
    [0n, 0n],
    [1_875_000_001n, 10000n], // 50.0000000266 Mbit/s → 100.0000000666 → 100.00
  ])('peak %d bytes/5min → %d', (bytes, want) => {
    const r = rateTenantPeriod({ currency: 'EUR', periodStart: start, slices: [slice('a', fakePlan({ bandwidth: bw }))], usage: usage([['a', { [P95_KEY]: (bytes * 8n).toString() }]]) });
    expect(r.lines.find((l) => l.kind === 'p95')!.amount).toBe(want);
  });
  it('uses a 300 s × 1 Mbit/s sample unit', () => {
    expect(BITS_PER_MBPS_SAMPLE).toBe(300_000_000n);
  });
});

describe('pooled network allowance', () => {
  const pc: PlanComponent = { component: 'network_out_gib', included: '100', tiers: [{ upTo: null, unitPrice: '0.01' }] };
  it('sums allowances over the tenant VMs and prices the pool overage once', () => {
    const plan = fakePlan({ bandwidth: { model: 'pooled' }, components: [pc] });
    const G = 1n << 30n;
    // 250 + 10 + 90 GiB = 350 GiB against 300 GiB pooled allowance → 50 GiB × 0.01 = 0.50; per VM it would be 1.50.
    const r = rateTenantPeriod({
      currency: 'EUR', periodStart: start,
      slices: [slice('a', plan), slice('b', plan), slice('c', plan)],
      usage: usage([['a', { network_out_gib: (250n * G).toString() }], ['b', { network_out_gib: (10n * G).toString() }], ['c', { network_out_gib: (90n * G).toString() }]]),
    });
    const pooled = r.lines.filter((l) => l.kind === 'pooled');
    expect(pooled.map((l) => [l.quantity.toString(), l.amount])).toEqual([['300', 0n], ['50', 50n]]);
    expect(pooled.every((l) => l.vmUuid === null)).toBe(true);
    expect(r.lines.filter((l) => l.kind === 'usage')).toEqual([]);
  });
});

describe('tax', () => {
  it.each([
    // subtotal, rate %, inclusive → tax, total
    [10000n, '19', false, 1900n, 11900n],
    [11900n, '19', true, 1900n, 11900n],
    [1005n, '10', false, 100n, 1105n], // 100.5 → 100 (even)
    [1015n, '10', false, 102n, 1117n], // 101.5 → 102 (even)
    [1000n, '7.7', true, 71n, 1000n], // 1000 × 7.7 / 107.7 = 71.49
    [1000n, '0', false, 0n, 1000n],
    [-500n, '20', false, -100n, -600n],
  ])('%d at %s%% (inclusive %s) → tax %d, total %d', (sub, rate, incl, tax, total) => {
    expect(computeTax(sub, rate, incl)).toEqual({ tax, total });
  });
});

describe('currencies with 0 and 3 decimals', () => {
  it.each([
    // currency, GiB used, unit price → amount in minor units
    ['JPY', 1234n, '1.5', 1851n], // 1851 yen
    ['JPY', 3n, '0.5', 2n], // 1.5 → 2 (even)
    ['JPY', 5n, '0.5', 2n], // 2.5 → 2 (even)
    ['KWD', 3n, '0.0125', 38n], // 0.0375 → 38 fils
    ['KWD', 1n, '0.0125', 12n], // 0.0125 → 12 (even)
    ['EUR', 1n, '0.0125', 1n], // 0.0125 → 0.01
  ])('%s: %d GiB at %s', (cur, gib, price, want) => {
    expect(lineAmount(Decimal.of(gib * (1n << 30n)), Decimal.parse(price), 1n << 30n, cur)).toBe(want);
  });
});

describe('lines sum to totals', () => {
  it('subtotal = Σ lines and total = subtotal + tax (exclusive) or subtotal (inclusive), for any usage', () => {
    const comps: PlanComponent[] = [
      { component: 'cpu_hours', included: '5', tiers: [{ upTo: '50', unitPrice: '0.0137' }, { upTo: null, unitPrice: '0.0091' }] },
      { component: 'memory_gib_hours', included: '0', tiers: [{ upTo: null, unitPrice: '0.00071' }] },
      { component: 'disk_write_gib', included: '1', tiers: [{ upTo: null, unitPrice: '0.003' }] },
    ];
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.bigInt({ min: 0n, max: 10n ** 13n }),
        fc.integer({ min: 1, max: 744 }),
        fc.constantFrom('0', '19', '7.7', '25'),
        fc.boolean(),
        fc.constantFrom('EUR', 'JPY', 'KWD'),
        (cpu, mem, disk, hours, rate, incl, currency) => {
          const plan = fakePlan({ currency, basePrice: 123457n, monthlyCap: 500000n, components: comps });
          const s = slice('a', plan, { siblingMs: [BigInt(hours) * HOUR] });
          const r = rateTenantPeriod({ currency, periodStart: start, slices: [s], usage: usage([['a', { cpu_hours: cpu.toString(), memory_gib_hours: `${mem}.5`, disk_write_gib: disk.toString() }]]) });
          const subtotal = r.lines.reduce((a, l) => a + l.amount, 0n);
          const { tax, total } = computeTax(subtotal, rate, incl);
          expect(total).toBe(incl ? subtotal : subtotal + tax);
          expect(subtotal <= 500000n).toBe(true);
          expect(r.lines.every((l) => l.amount >= 0n || l.kind === 'cap')).toBe(true);
        },
      ),
    );
  });
});
