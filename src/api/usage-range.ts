// The chart ranges (24h / 7d / 30d / current billing period) → [from, to) and bin size for usageSeries.
// Same table as the portal's VM page (src/portal/routes/vms.tsx keeps its own copy; one of them should move).
import type { AppContext } from '../context.ts';
import type { SeriesBin } from '../collectors/usage-series.ts';
import { billingPeriod, periodLabelAt } from '../billing/period.ts';
import { getTenant } from '../billing/catalogue/tenants.ts';

export type RangeKey = '24h' | '7d' | '30d' | 'period';
const DAY = 86_400_000;
const RANGES: Record<RangeKey, { ms: number; bin: SeriesBin }> = {
  '24h': { ms: DAY, bin: '5min' },
  '7d': { ms: 7 * DAY, bin: 'hour' },
  '30d': { ms: 30 * DAY, bin: 'day' },
  period: { ms: 30 * DAY, bin: 'day' },
};

/** The billing period is the VM's tenant's (an unassigned VM falls back to the last 30 days). */
export async function resolveRange(ctx: Pick<AppContext, 'db' | 'clock'>, range: RangeKey, tenantId: string | null): Promise<{ from: Date; to: Date; bin: SeriesBin }> {
  const to = ctx.clock.now();
  const r = RANGES[range];
  if (range === 'period' && tenantId) {
    const t = await getTenant(ctx, tenantId);
    return { from: billingPeriod(t.billingDay, periodLabelAt(t.billingDay, to)).start, to, bin: r.bin };
  }
  return { from: new Date(to.getTime() - r.ms), to, bin: r.bin };
}
