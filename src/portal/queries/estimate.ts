// This period's usage so far and the estimated charge for a tenant. The charge comes from the billing
// rating dry-run when that verb is present; otherwise it is reported as unavailable (never guessed).
import type { AppContext } from '../../context.ts';
import type { Meter } from '../../db/schema/usage.ts';
import { usageTotals } from '../../collectors/usage-series.ts';
import { billingPeriod, getTenant, periodLabelAt, type Period } from '../../billing/index.ts';
import { estimateTenantCharge } from './estimate-charge.ts';
import { perContext } from './ttl-cache.ts';
import type { VmView } from './vms.ts';

export interface PeriodEstimate {
  period: Period;
  usage: Record<Meter, string>;
  /** Formatted money, e.g. "12.34 EUR"; null when rating is not available. */
  estimatedCharge: string | null;
}

/** Usage so far this period moves slowly; a dashboard may show a figure up to 30 s old. */
const estimates = perContext<AppContext, PeriodEstimate>(30_000);

/** The key's VM set, built once per list: lists are shared for a second, so not fifty UUIDs sorted per request. */
const vmSets = new WeakMap<readonly VmView[], string>();

export function periodEstimate(ctx: AppContext, tenantId: string, vms: readonly VmView[]): Promise<PeriodEstimate> {
  let set = vmSets.get(vms);
  if (set === undefined) vmSets.set(vms, (set = vms.map((v) => v.uuid).sort().join(',')));
  return estimates(ctx).get(`${tenantId}:${set}`, () => computeEstimate(ctx, tenantId, vms.map((v) => v.uuid)));
}

async function computeEstimate(ctx: AppContext, tenantId: string, vmUuids: string[]): Promise<PeriodEstimate> {
  const tenant = await getTenant(ctx, tenantId);
  const now = ctx.clock.now();
  const period = billingPeriod(tenant.billingDay, periodLabelAt(tenant.billingDay, now));
  const usage = await usageTotals(ctx.db, vmUuids, period.start, now < period.end ? now : period.end);
  const estimatedCharge = await estimateTenantCharge(ctx, tenantId, period.label);
  return { period, usage, estimatedCharge };
}
