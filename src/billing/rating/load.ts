// Set-based loading for rating: assignment slices for many tenants at once, hour-bucket sums per slice
// (usage_hour only — never usage_minute) and 95th-percentile peaks from usage_5min. One statement each per batch.
import { rows, sql, type Db } from '../../db/client.ts';
import { Decimal } from '../decimal.ts';
import { COMPONENTS, type ComponentName } from '../catalogue/types.ts';
import type { Plan } from '../catalogue/plans.ts';
import { P95_KEY, type AssignmentSlice, type UsageByAssignment } from './types.ts';

export interface TenantPeriodRef {
  tenantId: string;
  start: Date;
  end: Date;
}

export interface SliceRange {
  assignmentId: string;
  vmUuid: string;
  start: Date;
  end: Date;
}

const iso = (d: Date) => d.toISOString();
/** A Postgres array literal of ISO timestamps / uuids (no characters that need quoting). */
const arr = (xs: string[]) => `{${xs.join(',')}}`;

export async function loadSlices(db: Db, refs: ReadonlyArray<TenantPeriodRef>, plansById: ReadonlyMap<string, Plan>): Promise<AssignmentSlice[]> {
  if (refs.length === 0) return [];
  const r = await rows<{ id: string; vm_uuid: string; vm_name: string | null; tenant_id: string; plan_id: string; s: string; e: string; sib_ms: string; sib_ids: string; period_ms: string; ps: string }>(
    db,
    sql`with tp as (
          select * from unnest(${arr(refs.map((x) => x.tenantId))}::uuid[], ${arr(refs.map((x) => iso(x.start)))}::timestamptz[],
                               ${arr(refs.map((x) => iso(x.end)))}::timestamptz[]) as tp(tenant_id, ps, pe)
        ), mine as (
          select a.id, a.vm_uuid, a.tenant_id, a.plan_id, a.valid_from, a.valid_to, tp.ps, tp.pe
          from tp join vm_assignments a on a.tenant_id = tp.tenant_id and a.valid_from < tp.pe and (a.valid_to is null or a.valid_to > tp.ps)
        )
        select m.id::text as id, m.vm_uuid::text as vm_uuid, v.name as vm_name, m.tenant_id::text as tenant_id, m.plan_id::text as plan_id,
               to_char(greatest(m.valid_from, m.ps) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as s,
               to_char(least(coalesce(m.valid_to, 'infinity'::timestamptz), m.pe) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as e,
               sib.ms as sib_ms, sib.ids as sib_ids,
               round(extract(epoch from m.pe - m.ps) * 1000)::bigint::text as period_ms,
               to_char(m.ps at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ps
        from mine m
        left join vms v on v.uuid = m.vm_uuid
        cross join lateral (
          select string_agg(round(extract(epoch from least(coalesce(b.valid_to, 'infinity'::timestamptz), m.pe) - greatest(b.valid_from, m.ps)) * 1000)::bigint::text, ',' order by b.valid_from) as ms,
                 string_agg(b.id::text, ',' order by b.valid_from) as ids
          from vm_assignments b
          where b.vm_uuid = m.vm_uuid and b.valid_from < m.pe and (b.valid_to is null or b.valid_to > m.ps)
        ) sib`,
  );
  return r.map((x) => {
    const plan = plansById.get(x.plan_id);
    if (!plan) throw new Error(`rating: plan ${x.plan_id} of assignment ${x.id} not loaded`);
    const ids = x.sib_ids.split(',');
    return {
      assignmentId: x.id,
      vmUuid: x.vm_uuid,
      vmName: x.vm_name ?? x.vm_uuid,
      tenantId: x.tenant_id,
      plan,
      start: new Date(x.s),
      end: new Date(x.e),
      siblingMs: x.sib_ms.split(',').map((v) => BigInt(v)),
      siblingIndex: ids.indexOf(x.id),
      periodMs: BigInt(x.period_ms),
      periodStart: new Date(x.ps),
    };
  });
}

const SUMS = sql`coalesce(sum(u.cpu_seconds), 0)::text as cpu_hours,
          coalesce(sum(u.vcpu_seconds), 0)::text as vcpu_hours,
          coalesce(sum(u.mem_mib_seconds), 0)::text as memory_gib_hours,
          coalesce(sum(u.disk_read_bytes), 0)::text as disk_read_gib,
          coalesce(sum(u.disk_write_bytes), 0)::text as disk_write_gib,
          coalesce(sum(u.net_rx_bytes), 0)::text as network_in_gib,
          coalesce(sum(u.net_tx_bytes), 0)::text as network_out_gib`;

/** Ranges sharing one [start, end) in this number or more are summed like a plain period aggregate. */
const SHARED_RANGE_MIN = 64;

/**
 * Sum of each component's meter over the hour buckets whose start lies in the slice's [start, end).
 * Most slices of a run cover the whole period: those are summed per VM with one range scan of the period
 * (the shape of a bare aggregate, which PostgreSQL parallelises); the rest join their own ranges.
 */
export async function loadHourSums(db: Db, ranges: ReadonlyArray<SliceRange>): Promise<UsageByAssignment> {
  const out: UsageByAssignment = new Map();
  const names = Object.keys(COMPONENTS) as ComponentName[];
  const byRange = new Map<string, SliceRange[]>();
  for (const r of ranges) {
    const k = `${r.start.getTime()}|${r.end.getTime()}`;
    byRange.set(k, [...(byRange.get(k) ?? []), r]);
  }
  const rest: SliceRange[] = [];
  for (const group of byRange.values()) {
    if (group.length < SHARED_RANGE_MIN) {
      rest.push(...group);
      continue;
    }
    // One VM has at most one slice per range (assignments never overlap), so vm → slice is unique here.
    const idByVm = new Map(group.map((g) => [g.vmUuid, g.assignmentId]));
    const r = await rows<Record<string, string>>(
      db,
      sql`select u.vm_uuid::text as vm, ${SUMS}
          from usage_hour u
          join unnest(${arr(group.map((g) => g.vmUuid))}::uuid[]) as g(vm) on g.vm = u.vm_uuid
          where u.bucket >= ${iso(group[0].start)}::timestamptz and u.bucket < ${iso(group[0].end)}::timestamptz
          group by u.vm_uuid`,
    );
    const zero = new Map(names.map((n) => [n, Decimal.ZERO]));
    for (const g of group) out.set(g.assignmentId, zero);
    for (const x of r) out.set(idByVm.get(x.vm)!, new Map(names.map((n) => [n, Decimal.parse(x[n])])));
  }
  if (rest.length === 0) return out;
  ranges = rest;
  const r = await rows<Record<string, string>>(
    db,
    sql`select r.id::text as id, ${SUMS}
        from unnest(${arr(ranges.map((x) => x.assignmentId))}::uuid[], ${arr(ranges.map((x) => x.vmUuid))}::uuid[],
                    ${arr(ranges.map((x) => iso(x.start)))}::timestamptz[], ${arr(ranges.map((x) => iso(x.end)))}::timestamptz[]) as r(id, vm, s, e)
        left join usage_hour u on u.vm_uuid = r.vm and u.bucket >= r.s and u.bucket < r.e
        group by r.id`,
  );
  for (const x of r) out.set(x.id, new Map(names.map((n) => [n, Decimal.parse(x[n])])));
  return out;
}

/**
 * 95th percentile of max(in, out) per 5-minute slot, in bits per slot. Every 5-minute slot of the range counts
 * (a missing bucket is a zero sample); the top floor(slots/20) samples are discarded and the next one is the peak.
 */
export async function loadP95(db: Db, ranges: ReadonlyArray<SliceRange>): Promise<Map<string, Decimal>> {
  const out = new Map<string, Decimal>();
  if (ranges.length === 0) return out;
  const r = await rows<{ id: string; peak: string | null }>(
    db,
    sql`with r as (
          select id, vm, s, e, (ceil(extract(epoch from e) / 300) - ceil(extract(epoch from s) / 300))::bigint as slots
          from unnest(${arr(ranges.map((x) => x.assignmentId))}::uuid[], ${arr(ranges.map((x) => x.vmUuid))}::uuid[],
                      ${arr(ranges.map((x) => iso(x.start)))}::timestamptz[], ${arr(ranges.map((x) => iso(x.end)))}::timestamptz[]) as r(id, vm, s, e)
        ), ranked as (
          select r.id, greatest(u.net_rx_bytes, u.net_tx_bytes) as v, r.slots,
                 row_number() over (partition by r.id order by greatest(u.net_rx_bytes, u.net_tx_bytes) desc) as rn
          from r join usage_5min u on u.vm_uuid = r.vm and u.bucket >= r.s and u.bucket < r.e
        )
        select r.id::text as id, (select (k.v * 8)::text from ranked k where k.id = r.id and k.rn = r.slots / 20 + 1) as peak
        from r`,
  );
  for (const x of r) out.set(x.id, Decimal.parse(x.peak ?? '0'));
  return out;
}

export function sliceRanges(slices: ReadonlyArray<AssignmentSlice>): SliceRange[] {
  return slices.map((s) => ({ assignmentId: s.assignmentId, vmUuid: s.vmUuid, start: s.start, end: s.end }));
}

/** Usage for the slices: hour sums, plus the p95 peak for slices on a p95 plan. */
export async function loadUsage(db: Db, slices: ReadonlyArray<AssignmentSlice>): Promise<UsageByAssignment> {
  const usage = await loadHourSums(db, sliceRanges(slices));
  const p95 = await loadP95(db, sliceRanges(slices.filter((s) => s.plan.bandwidth.model === 'p95')));
  for (const [id, peak] of p95) {
    const m = usage.get(id) ?? new Map<string, Decimal>();
    m.set(P95_KEY, peak);
    usage.set(id, m);
  }
  return usage;
}
