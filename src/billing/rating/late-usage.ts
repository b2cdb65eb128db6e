// Late usage: hours whose buckets changed after their period was invoiced are re-priced with that period's slices
// and plan, and the difference goes onto the NEXT invoice as dated adjustment lines (finalized ones never change).
// What was billed is the latest invoice_usage snapshot per (period, assignment, component) on a billed invoice.
import { rows, sql, type Db } from '../../db/client.ts';
import { Decimal } from '../decimal.ts';
import type { Plan } from '../catalogue/plans.ts';
import { billingPeriod, periodLabelAt, shiftPeriodLabel } from '../period.ts';
import { loadSlices, loadUsage, type TenantPeriodRef } from './load.ts';
import { rateTenantPeriod } from './rate.ts';
import type { AssignmentSlice, RatedLine, TenantForRating, UsageByAssignment, UsageSnapshotRow } from './types.ts';

export interface Adjustments {
  lines: RatedLine[];
  usage: UsageSnapshotRow[];
}

const iso = (d: Date) => d.toISOString();
const arr = (xs: string[]) => `{${xs.join(',')}}`;

export async function lateUsageAdjustments(
  db: Db,
  tenants: ReadonlyArray<TenantForRating>,
  label: string,
  plansById: ReadonlyMap<string, Plan>,
  lookbackPeriods: number,
): Promise<Map<string, Adjustments>> {
  const out = new Map<string, Adjustments>();
  if (tenants.length === 0 || lookbackPeriods <= 0) return out;
  const byId = new Map(tenants.map((t) => [t.id, t]));
  const bounds = tenants.map((t) => ({ t, from: billingPeriod(t.billingDay, shiftPeriodLabel(label, -lookbackPeriods)).start, to: billingPeriod(t.billingDay, label).start }));
  const snap = await rows<{ tenant_id: string; sps: string; assignment_id: string; component: string; raw: string }>(
    db,
    sql`with tp as (
          select * from unnest(${arr(bounds.map((b) => b.t.id))}::uuid[], ${arr(bounds.map((b) => iso(b.from)))}::timestamptz[],
                               ${arr(bounds.map((b) => iso(b.to)))}::timestamptz[]) as tp(tenant_id, f, t)
        )
        select distinct on (i.tenant_id, u.source_period_start, u.assignment_id, u.component)
               i.tenant_id::text as tenant_id, to_char(u.source_period_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as sps,
               u.assignment_id::text as assignment_id, u.component, u.raw_quantity::text as raw
        from tp join invoices i on i.tenant_id = tp.tenant_id and i.status in ('finalized', 'paid', 'uncollectible')
        join invoice_usage u on u.invoice_id = i.id and u.source_period_start >= tp.f and u.source_period_start < tp.t
        order by i.tenant_id, u.source_period_start, u.assignment_id, u.component, i.finalized_at desc, i.number desc`,
  );
  if (snap.length === 0) return out;

  // Billed quantities per (tenant, period start) → assignment → component.
  const billed = new Map<string, UsageByAssignment>();
  for (const s of snap) {
    const k = `${s.tenant_id}|${new Date(s.sps).getTime()}`;
    const byA = billed.get(k) ?? new Map<string, Map<string, Decimal>>();
    const m = byA.get(s.assignment_id) ?? new Map<string, Decimal>();
    m.set(s.component, Decimal.parse(s.raw));
    byA.set(s.assignment_id, m);
    billed.set(k, byA);
  }
  const refs: TenantPeriodRef[] = [...billed.keys()].map((k) => {
    const [tenantId, ms] = k.split('|');
    const t = byId.get(tenantId)!;
    const p = billingPeriod(t.billingDay, periodLabelAt(t.billingDay, new Date(Number(ms))));
    return { tenantId, start: p.start, end: p.end };
  });
  const slices = await loadSlices(db, refs, plansById);
  // Usage is keyed by assignment, and one assignment spans several past periods: load one period start at a time.
  const nowByPeriod = new Map<number, UsageByAssignment>();
  for (const ms of new Set(slices.map((s) => s.periodStart.getTime()))) {
    nowByPeriod.set(ms, await loadUsage(db, slices.filter((s) => s.periodStart.getTime() === ms)));
  }
  const groups = new Map<string, AssignmentSlice[]>();
  for (const s of slices) {
    const k = `${s.tenantId}|${s.periodStart.getTime()}`;
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  for (const [k, group] of groups) {
    const before = billed.get(k);
    if (!before) continue;
    const now = nowByPeriod.get(group[0].periodStart.getTime())!;
    // What was billed, with anything never snapshotted taken as-is (nothing to adjust for it).
    const old: UsageByAssignment = new Map();
    let changed = false;
    for (const s of group) {
      const cur = now.get(s.assignmentId) ?? new Map<string, Decimal>();
      const was = before.get(s.assignmentId);
      const m = new Map(cur);
      if (was) for (const [c, v] of was) {
        m.set(c, v);
        if (!(cur.get(c) ?? Decimal.ZERO).eq(v)) changed = true;
      }
      old.set(s.assignmentId, m);
    }
    if (!changed) continue;
    const tenant = byId.get(group[0].tenantId)!;
    const periodStart = group[0].periodStart;
    const a = rateTenantPeriod({ currency: tenant.currency, periodStart, slices: group, usage: old });
    const b = rateTenantPeriod({ currency: tenant.currency, periodStart, slices: group, usage: now });
    const lines = diffLines(a.lines, b.lines, periodLabelAt(tenant.billingDay, periodStart));
    const adj = out.get(tenant.id) ?? { lines: [], usage: [] };
    adj.lines.push(...lines);
    adj.usage.push(...b.usage);
    out.set(tenant.id, adj);
  }
  return out;
}

/** Adjustment lines = re-priced lines minus billed lines, per line identity (base price is not usage). */
export function diffLines(billed: RatedLine[], repriced: RatedLine[], label: string): RatedLine[] {
  const was = new Map(billed.map((l) => [l.key, l]));
  const keys = [...new Set([...billed.map((l) => l.key), ...repriced.map((l) => l.key)])];
  const out: RatedLine[] = [];
  for (const key of keys) {
    const a = was.get(key);
    const b = repriced.find((l) => l.key === key);
    const ref = b ?? a!;
    if (ref.kind === 'base') continue;
    const amount = (b?.amount ?? 0n) - (a?.amount ?? 0n);
    const quantity = (b?.quantity ?? Decimal.ZERO).sub(a?.quantity ?? Decimal.ZERO);
    if (amount === 0n && quantity.isZero()) continue;
    out.push({
      ...ref,
      kind: 'adjustment',
      key: `adj|${label}|${key}`,
      description: `Late usage ${label}: ${ref.description}`,
      quantity,
      amount,
    });
  }
  return out;
}
