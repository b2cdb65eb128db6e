// usageSeries: one VM's usage over a time range in fixed bins, read from the coarsest bucket table that
// covers each part of the range (day → hour → 5 min → minute), plus the poll failures of its host in
// that range so charts can mark gaps. Read-only; used by the portal charts and the API.
import { sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { rows, type Db } from '../db/client.ts';
import { METERS, type Meter, usage5Min, usageDay, usageHour, usageMinute } from '../db/schema/usage.ts';

export type SeriesBin = '5min' | 'hour' | 'day';
const BIN_SECONDS: Record<SeriesBin, number> = { '5min': 300, hour: 3600, day: 86400 };
const BIN_INTERVAL: Record<SeriesBin, string> = { '5min': '5 minutes', hour: '1 hour', day: '1 day' };

interface Source {
  table: PgTable;
  grainMs: number;
}
const MINUTE: Source = { table: usageMinute, grainMs: 60_000 };
/** Coarse first: each source covers what it can, the next fills the rest. */
const SOURCES: Record<SeriesBin, Source[]> = {
  '5min': [{ table: usage5Min, grainMs: 300_000 }, MINUTE],
  hour: [{ table: usageHour, grainMs: 3_600_000 }, { table: usage5Min, grainMs: 300_000 }, MINUTE],
  day: [{ table: usageDay, grainMs: 86_400_000 }, { table: usageHour, grainMs: 3_600_000 }, MINUTE],
};

export interface UsagePoint {
  /** Start of the bin. */
  t: Date;
  /** Exact decimal strings per meter (counters are integers, gauges integrals with 3 decimals). */
  values: Record<Meter, string>;
}

export interface PollGap {
  at: Date;
  error: string;
}

export interface UsageSeries {
  vmUuid: string;
  from: Date;
  to: Date;
  bin: SeriesBin;
  binSeconds: number;
  /** Only bins that had usage; absent bins mean zero (or a gap, see `gaps`). */
  points: UsagePoint[];
  gaps: PollGap[];
}

export interface UsageSeriesInput {
  vmUuid: string;
  from: Date;
  to: Date;
  bin: SeriesBin;
  /** Host whose poll failures to report (the VM's current host). */
  hostId?: string | null;
}

const meterCols = METERS.map((m) => sql.raw(`sum(${m})::text as ${m}`));

async function readBins(db: Db, src: Source, input: UsageSeriesInput, from: Date, to: Date): Promise<UsagePoint[]> {
  if (from >= to) return [];
  const list = await rows<Record<string, string>>(
    db,
    sql`select date_bin(${BIN_INTERVAL[input.bin]}::interval, bucket, '2000-01-01T00:00:00Z'::timestamptz)::text as t, ${sql.join(meterCols, sql`, `)}
        from ${src.table}
        where vm_uuid = ${input.vmUuid}::uuid and bucket >= ${from.toISOString()}::timestamptz and bucket < ${to.toISOString()}::timestamptz
        group by 1 order by 1`,
  );
  return list.map((r) => ({ t: new Date(r.t), values: Object.fromEntries(METERS.map((m) => [m, r[m] ?? '0'])) as Record<Meter, string> }));
}

async function coveredUntil(db: Db, src: Source, vmUuid: string, from: Date, to: Date): Promise<Date | null> {
  const [r] = await rows<{ last: string | null }>(
    db,
    sql`select max(bucket)::text as last from ${src.table}
        where vm_uuid = ${vmUuid}::uuid and bucket >= ${from.toISOString()}::timestamptz and bucket < ${to.toISOString()}::timestamptz`,
  );
  return r?.last ? new Date(new Date(r.last).getTime() + src.grainMs) : null;
}

/** Merges points that fall in the same bin (a bin split between two sources). */
function merge(points: UsagePoint[]): UsagePoint[] {
  const byT = new Map<number, UsagePoint>();
  for (const p of points) {
    const prev = byT.get(p.t.getTime());
    if (!prev) {
      byT.set(p.t.getTime(), { t: p.t, values: { ...p.values } });
      continue;
    }
    for (const m of METERS) prev.values[m] = addDecimal(prev.values[m], p.values[m]);
  }
  return [...byT.values()].sort((a, b) => a.t.getTime() - b.t.getTime());
}

/** Exact sum of two non-negative decimal strings (no float). */
export function addDecimal(a: string, b: string): string {
  const scale = Math.max(a.split('.')[1]?.length ?? 0, b.split('.')[1]?.length ?? 0);
  const toInt = (s: string) => {
    const [i, f = ''] = s.split('.');
    return BigInt(i + f.padEnd(scale, '0'));
  };
  const sum = (toInt(a) + toInt(b)).toString().padStart(scale + 1, '0');
  return scale ? `${sum.slice(0, -scale)}.${sum.slice(-scale)}` : sum;
}

export async function usageSeries(db: Db, input: UsageSeriesInput): Promise<UsageSeries> {
  const points: UsagePoint[] = [];
  let cursor = input.from;
  const sources = SOURCES[input.bin];
  for (let i = 0; i < sources.length && cursor < input.to; i++) {
    const src = sources[i];
    const last = i === sources.length - 1;
    // A coarse table only counts up to its last bucket (rollups lag); the next source fills the rest.
    const until = last ? input.to : await coveredUntil(db, src, input.vmUuid, cursor, input.to);
    if (!until) continue;
    const end = until < input.to ? until : input.to;
    points.push(...(await readBins(db, src, input, cursor, end)));
    cursor = end;
  }
  let gaps: PollGap[] = [];
  if (input.hostId) {
    const g = await rows<{ at: string; error: string }>(
      db,
      sql`select at::text as at, error from host_poll_failures
          where host_id = ${input.hostId}::uuid and at >= ${input.from.toISOString()}::timestamptz and at < ${input.to.toISOString()}::timestamptz
          order by at limit 2000`,
    );
    gaps = g.map((r) => ({ at: new Date(r.at), error: r.error }));
  }
  return { vmUuid: input.vmUuid, from: input.from, to: input.to, bin: input.bin, binSeconds: BIN_SECONDS[input.bin], points: merge(points), gaps };
}

/** Sums of every meter over [from, to) for a set of VMs (the dashboard's month-to-date), day → hour → minute. */
export async function usageTotals(db: Db, vmUuids: string[], from: Date, to: Date): Promise<Record<Meter, string>> {
  const total = Object.fromEntries(METERS.map((m) => [m, '0'])) as Record<Meter, string>;
  if (vmUuids.length === 0) return total;
  const ids = `{${vmUuids.join(',')}}`;
  const sources = SOURCES.day;
  let cursor = from;
  for (let i = 0; i < sources.length && cursor < to; i++) {
    const src = sources[i];
    let end = to;
    if (i < sources.length - 1) {
      const [c] = await rows<{ last: string | null }>(
        db,
        sql`select max(bucket)::text as last from ${src.table} where vm_uuid = any(${ids}::uuid[])
            and bucket >= ${cursor.toISOString()}::timestamptz and bucket < ${to.toISOString()}::timestamptz`,
      );
      if (!c?.last) continue;
      const until = new Date(new Date(c.last).getTime() + src.grainMs);
      end = until < to ? until : to;
    }
    const [r] = await rows<Record<string, string | null>>(
      db,
      sql`select ${sql.join(meterCols, sql`, `)} from ${src.table}
          where vm_uuid = any(${ids}::uuid[]) and bucket >= ${cursor.toISOString()}::timestamptz and bucket < ${end.toISOString()}::timestamptz`,
    );
    for (const m of METERS) total[m] = addDecimal(total[m], r?.[m] ?? '0');
    cursor = end;
  }
  return total;
}

/**
 * How long the VM has been up without a break, as the buckets tell it (the tools report no boot time):
 * walk back through consecutive minute buckets with a full minute of uptime, then through hour buckets.
 * Null when the last minute bucket is not recent (the VM is down, or not polled lately).
 */
export async function currentUptimeSeconds(db: Db, vmUuid: string, now: Date): Promise<number | null> {
  const minutes = await rows<{ bucket: string; up: string }>(
    db,
    sql`select bucket::text as bucket, uptime_seconds::text as up from usage_minute
        where vm_uuid = ${vmUuid}::uuid and bucket > ${new Date(now.getTime() - 86_400_000).toISOString()}::timestamptz
        order by bucket desc limit 1440`,
  );
  if (!minutes.length || now.getTime() - new Date(minutes[0].bucket).getTime() > 5 * 60_000) return null;
  let start = new Date(minutes[0].bucket).getTime() + 60_000;
  let expect = new Date(minutes[0].bucket).getTime();
  for (const m of minutes) {
    const t = new Date(m.bucket).getTime();
    // a missing minute or a partial one is where the VM (re)started
    if (t !== expect) break;
    start = t + 60_000 - Math.round(Number(m.up) * 1000);
    if (Number(m.up) < 59.5) break;
    expect = t - 60_000;
  }
  if (minutes.length === 1440 && start <= new Date(minutes[1439].bucket).getTime()) {
    const hours = await rows<{ bucket: string; up: string }>(
      db,
      sql`select bucket::text as bucket, uptime_seconds::text as up from usage_hour
          where vm_uuid = ${vmUuid}::uuid and bucket < ${new Date(start).toISOString()}::timestamptz order by bucket desc limit 840`,
    );
    let hexpect = Math.floor(start / 3_600_000) * 3_600_000 - 3_600_000;
    for (const h of hours) {
      const t = new Date(h.bucket).getTime();
      if (t !== hexpect) break;
      start = t + 3_600_000 - Math.round(Number(h.up) * 1000);
      if (Number(h.up) < 3599.5) break;
      hexpect = t - 3_600_000;
    }
  }
  return Math.max(0, Math.round((now.getTime() - start) / 1000));
}
