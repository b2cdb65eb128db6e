// Rates a batch of tenants for one period label: four set-based statements for the whole batch (slices, hour
// sums, p95 peaks, late-usage snapshots), then pure per-tenant pricing. Tenants with nothing to bill are skipped.
import type { Db } from '../../db/client.ts';
import type { Plan } from '../catalogue/plans.ts';
import { billingPeriod } from '../period.ts';
import { loadSlices, loadUsage } from './load.ts';
import { lateUsageAdjustments } from './late-usage.ts';
import { rateTenantPeriod } from './rate.ts';
import { computeTax } from './tax.ts';
import type { AssignmentSlice, RatedInvoice, TenantForRating, UsageByAssignment } from './types.ts';

export interface Preloaded {
  slices: AssignmentSlice[];
  usage: UsageByAssignment;
}

/**
 * Slices and their hour sums for many tenants in two statements. A whole-fleet run loads everything at once so
 * PostgreSQL can answer with one scan of the period's hour buckets instead of one index probe per batch.
 */
export async function preloadUsage(db: Db, tenants: ReadonlyArray<TenantForRating>, label: string, plansById: ReadonlyMap<string, Plan>): Promise<Preloaded> {
  const slices = await loadSlices(db, tenants.map((t) => ({ tenantId: t.id, ...billingPeriod(t.billingDay, label) })), plansById);
  return { slices, usage: await loadUsage(db, slices) };
}

export async function rateBatch(
  db: Db,
  tenants: ReadonlyArray<TenantForRating>,
  label: string,
  plansById: ReadonlyMap<string, Plan>,
  opts: { lateUsageLookback: number; preloaded?: Preloaded },
): Promise<RatedInvoice[]> {
  const periods = new Map(tenants.map((t) => [t.id, billingPeriod(t.billingDay, label)]));
  const { slices, usage } = opts.preloaded ?? (await preloadUsage(db, tenants, label, plansById));
  const adjustments = await lateUsageAdjustments(db, tenants, label, plansById, opts.lateUsageLookback);
  const byTenant = new Map<string, AssignmentSlice[]>();
  const wanted = new Set(tenants.map((t) => t.id));
  for (const s of slices) if (wanted.has(s.tenantId)) byTenant.set(s.tenantId, [...(byTenant.get(s.tenantId) ?? []), s]);

  const out: RatedInvoice[] = [];
  for (const t of tenants) {
    const mine = byTenant.get(t.id) ?? [];
    const adj = adjustments.get(t.id);
    if (mine.length === 0 && !adj) continue;
    const period = periods.get(t.id)!;
    for (const s of mine) {
      if (s.plan.currency !== t.currency) throw new Error(`tenant ${t.company}: plan ${s.plan.name} is in ${s.plan.currency}, tenant bills in ${t.currency}`);
    }
    const rated = rateTenantPeriod({ currency: t.currency, periodStart: period.start, slices: mine, usage });
    const lines = [...rated.lines, ...(adj?.lines ?? [])];
    const subtotal = lines.reduce((a, l) => a + l.amount, 0n);
    const { tax, total } = computeTax(subtotal, t.taxRatePercent, t.pricesIncludeTax);
    out.push({
      tenantId: t.id,
      company: t.company,
      currency: t.currency,
      period,
      lines,
      subtotal,
      tax,
      total,
      taxRatePercent: t.taxRatePercent,
      taxInclusive: t.pricesIncludeTax,
      usage: [...rated.usage, ...(adj?.usage ?? [])],
    });
  }
  return out;
}
