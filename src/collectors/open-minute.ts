// A VM's usage in the minute of its latest sample stays with its meter state (vm_meter_state.open_bucket and
// open_usage) until a sample in a later minute closes it; only then does it become a usage_minute row.
//
// Why: with a 10 s poll, five of a minute's six deltas would otherwise UPDATE a usage_minute row, and PostgreSQL
// spends three to four times the server CPU on such an update (a new row version, its WAL, often an index
// entry) as on inserting the row. The meter state row is rewritten on every poll anyway, in the same
// transaction, so carrying the minute's sums there costs little: usage_minute becomes insert-only (binary
// COPY, no dead versions to vacuum in the biggest table), and the deltas still commit with the counters they
// came from, so a crash neither loses nor doubles them.
//
// The price: the newest minute of a VM reaches usage_minute up to a poll interval after it ends. A VM that is
// no longer sampled (shut down, host unreachable or removed) keeps its open minute until flushOpenMinutes
// moves it, which every rollup of minute buckets does first, so rollups and everything after them see it all.
import { rows, sql, type Db } from '../db/client.ts';
import { ZERO_USAGE, type UsageDelta } from './deltas.ts';
import { ADD_ON_CONFLICT } from './usage-writer.ts';

export interface OpenMinute {
  /** Start of the minute, epoch milliseconds. */
  minuteMs: number;
  /** Deltas summed into it. */
  samples: number;
  usage: UsageDelta;
}

const minuteOf = (at: Date): number => Math.floor(at.getTime() / 60_000) * 60_000;

/**
 * A delta of a sample taken at `takenAt` into the VM's open minute. Returns the new open minute and, when the
 * sample is in a later minute than the open one, the open one it closed (to be written to usage_minute).
 */
export function foldDelta(open: OpenMinute | null | undefined, takenAt: Date, u: UsageDelta): { open: OpenMinute; closed: OpenMinute | null } {
  const minuteMs = minuteOf(takenAt);
  if (open && open.minuteMs === minuteMs) return { open: { minuteMs, samples: open.samples + 1, usage: addUsage(open.usage, u) }, closed: null };
  // An open minute later than the sample cannot happen: samples at or before the stored one are stale and skipped.
  return { open: { minuteMs, samples: 1, usage: u }, closed: open ?? null }; // u is never mutated: sums are new objects
}

function addUsage(a: UsageDelta, b: UsageDelta): UsageDelta {
  return {
    cpuSeconds: a.cpuSeconds + b.cpuSeconds,
    vcpuMs: a.vcpuMs + b.vcpuMs,
    memMibMs: a.memMibMs + b.memMibMs,
    diskReadBytes: a.diskReadBytes + b.diskReadBytes,
    diskWriteBytes: a.diskWriteBytes + b.diskWriteBytes,
    netRxBytes: a.netRxBytes + b.netRxBytes,
    netTxBytes: a.netTxBytes + b.netTxBytes,
    uptimeMs: a.uptimeMs + b.uptimeMs,
  };
}

const USAGE_KEYS = Object.keys(ZERO_USAGE) as Array<keyof UsageDelta>;

/** open_usage as stored: samples and every delta as a decimal string (jsonb numbers would lose bigints). */
export function openUsageJson(o: OpenMinute): string {
  let s = `{"samples":${o.samples}`;
  for (const k of USAGE_KEYS) s += `,"${k}":"${o.usage[k]}"`;
  return `${s}}`;
}

export function parseOpenMinute(bucketMs: string | null, usageJson: string | null): OpenMinute | null {
  if (bucketMs === null || usageJson === null) return null;
  const raw = JSON.parse(usageJson) as Record<string, string | number>;
  const usage = { ...ZERO_USAGE };
  for (const k of USAGE_KEYS) usage[k] = BigInt(raw[k] ?? 0);
  return { minuteMs: Number(bucketMs), samples: Number(raw.samples), usage };
}

/** usage_minute's columns from open_usage, milli-units to the numeric(…, 3) columns' units. */
const FROM_JSON = `(u->>'cpuSeconds')::bigint, (u->>'vcpuMs')::numeric / 1000, (u->>'memMibMs')::numeric / 1000,
  (u->>'diskReadBytes')::bigint, (u->>'diskWriteBytes')::bigint, (u->>'netRxBytes')::bigint, (u->>'netTxBytes')::bigint,
  (u->>'uptimeMs')::numeric / 1000, (u->>'samples')::int`;

/**
 * Moves every open minute that started before `before` into usage_minute (adding, should the key exist) and
 * clears it, in one statement: a VM no longer sampled still gets its last minute written. Rows are locked in
 * vm_uuid order, as the bucket writer locks them, so the two cannot deadlock; a row the writer moved on in the
 * meantime is re-checked and skipped. Returns how many minutes it moved.
 */
export async function flushOpenMinutes(db: Db, before: Date): Promise<number> {
  const r = await rows<{ n: number }>(
    db,
    sql`with due as (
          select vm_uuid, open_bucket, open_usage as u from vm_meter_state
           where open_bucket < ${before.toISOString()}::timestamptz order by vm_uuid for update),
        cleared as (
          update vm_meter_state m set open_bucket = null, open_usage = null from due where m.vm_uuid = due.vm_uuid),
        written as (
          insert into usage_minute (vm_uuid, bucket, cpu_seconds, vcpu_seconds, mem_mib_seconds, disk_read_bytes,
                                    disk_write_bytes, net_rx_bytes, net_tx_bytes, uptime_seconds, samples)
          select vm_uuid, open_bucket, ${sql.raw(FROM_JSON)} from due
          ${sql.raw(ADD_ON_CONFLICT)}
          returning 1)
        select count(*)::int as n from written`,
  );
  return r[0]?.n ?? 0;
}
