// usage_minute writes of closed minutes (open-minute.ts: a VM's minute is written once, when a sample in a
// later minute closes it), and meter_anomalies rows. Bulk statements, never row-by-row.
//
// A closed minute is nearly always a new key, so on PostgreSQL the rows are COPYed straight into usage_minute
// under a savepoint, at about the cost of a COPY into a plain table (INSERT … ON CONFLICT costs twice that for
// a new key: speculative insertion). If a key was there after all (rows written by an older version, or a
// minute flushed while one of its samples was still in flight), the COPY fails on the primary key, its
// savepoint rolls back and the rows are added by the upsert instead: correct either way, fast when the guess
// holds. PGlite takes no COPY from a client stream: every row goes through the upsert there.
import { copyIn, pgArray, postgresTransactionOf, rows, sql, type Db } from '../db/client.ts';
import { BinaryCopyRows } from '../db/copy-binary.ts';
import type { Anomaly, UsageDelta } from './deltas.ts';
import type { OpenMinute } from './open-minute.ts';
import { milliToDecimal, quotedArray } from './pg-arrays.ts';

interface MinuteRow extends UsageDelta {
  vm: string;
  /** Start of the minute, epoch milliseconds. */
  minuteMs: number;
  samples: number;
}

/** Closed minutes per (vm, minute): one statement may not touch a key twice, so repeats are summed. */
export class MinuteAggregator {
  private readonly rows = new Map<string, MinuteRow>();

  addMinute(vm: string, m: OpenMinute): void {
    const key = `${vm}|${m.minuteMs}`;
    const r = this.rows.get(key);
    const u = m.usage;
    if (!r) {
      this.rows.set(key, { vm, minuteMs: m.minuteMs, samples: m.samples, ...u });
      return;
    }
    r.samples += m.samples;
    r.cpuSeconds += u.cpuSeconds;
    r.vcpuMs += u.vcpuMs;
    r.memMibMs += u.memMibMs;
    r.diskReadBytes += u.diskReadBytes;
    r.diskWriteBytes += u.diskWriteBytes;
    r.netRxBytes += u.netRxBytes;
    r.netTxBytes += u.netTxBytes;
    r.uptimeMs += u.uptimeMs;
  }

  get size(): number {
    return this.rows.size;
  }

  list(): MinuteRow[] {
    return [...this.rows.values()];
  }
}

const COLUMNS = 'vm_uuid, bucket, cpu_seconds, vcpu_seconds, mem_mib_seconds, disk_read_bytes, disk_write_bytes, net_rx_bytes, net_tx_bytes, uptime_seconds, samples';
/** Adds a row's deltas to the key's existing ones (the source rows are `excluded`). */
export const ADD_ON_CONFLICT = `on conflict (bucket, vm_uuid) do update set
  cpu_seconds = usage_minute.cpu_seconds + excluded.cpu_seconds,
  vcpu_seconds = usage_minute.vcpu_seconds + excluded.vcpu_seconds,
  mem_mib_seconds = usage_minute.mem_mib_seconds + excluded.mem_mib_seconds,
  disk_read_bytes = usage_minute.disk_read_bytes + excluded.disk_read_bytes,
  disk_write_bytes = usage_minute.disk_write_bytes + excluded.disk_write_bytes,
  net_rx_bytes = usage_minute.net_rx_bytes + excluded.net_rx_bytes,
  net_tx_bytes = usage_minute.net_tx_bytes + excluded.net_tx_bytes,
  uptime_seconds = usage_minute.uptime_seconds + excluded.uptime_seconds,
  samples = usage_minute.samples + excluded.samples`;

export async function writeMinuteUsage(tx: Db, agg: MinuteAggregator): Promise<void> {
  const all = agg.list();
  if (all.length === 0) return;
  const pg = postgresTransactionOf(tx);
  if (pg) {
    const data = binaryRows(all);
    try {
      await pg.savepoint((sp) => copyIn(sp, `copy usage_minute (${COLUMNS}) from stdin (format binary)`, data));
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== '23505') throw e; // unique_violation: a key was there after all
    }
  }
  await upsertFromArrays(tx, all);
}

/** The rows as one binary COPY stream, columns in COLUMNS order; a value its column cannot hold fails here. */
function binaryRows(r: MinuteRow[]): Buffer {
  const out = new BinaryCopyRows(r.length * 160);
  for (const x of r) {
    try {
      out.row(11).uuid(x.vm).timestamptz(x.minuteMs)
        .int8(x.cpuSeconds, 'cpu_seconds').numericMilli(x.vcpuMs, 24, 'vcpu_seconds').numericMilli(x.memMibMs, 28, 'mem_mib_seconds')
        .int8(x.diskReadBytes, 'disk_read_bytes').int8(x.diskWriteBytes, 'disk_write_bytes')
        .int8(x.netRxBytes, 'net_rx_bytes').int8(x.netTxBytes, 'net_tx_bytes')
        .numericMilli(x.uptimeMs, 24, 'uptime_seconds').int4(x.samples, 'samples');
    } catch (e) {
      throw new RangeError(`usage_minute row of VM ${x.vm}: ${(e as Error).message}`, { cause: e });
    }
  }
  return out.finish();
}

async function upsertFromArrays(tx: Db, r: MinuteRow[]): Promise<void> {
  const big = (f: (x: MinuteRow) => bigint) => pgArray(r.map(f));
  const dec = (f: (x: MinuteRow) => bigint) => pgArray(r.map((x) => milliToDecimal(f(x))));
  await rows(
    tx,
    sql`insert into usage_minute (${sql.raw(COLUMNS)})
        select * from unnest(${pgArray(r.map((x) => x.vm))}::uuid[], ${pgArray(r.map((x) => new Date(x.minuteMs).toISOString()))}::timestamptz[],
                             ${big((x) => x.cpuSeconds)}::bigint[], ${dec((x) => x.vcpuMs)}::numeric[], ${dec((x) => x.memMibMs)}::numeric[],
                             ${big((x) => x.diskReadBytes)}::bigint[], ${big((x) => x.diskWriteBytes)}::bigint[],
                             ${big((x) => x.netRxBytes)}::bigint[], ${big((x) => x.netTxBytes)}::bigint[],
                             ${dec((x) => x.uptimeMs)}::numeric[], ${pgArray(r.map((x) => x.samples))}::int[])
        ${sql.raw(ADD_ON_CONFLICT)}`,
  );
}
export interface AnomalyRow extends Anomaly {
  vm: string;
  hostId: string;
  at: Date;
}

export async function writeAnomalies(tx: Db, a: AnomalyRow[]): Promise<void> {
  if (a.length === 0) return;
  await rows(
    tx,
    sql`insert into meter_anomalies (vm_uuid, host_id, at, counter, previous, current, elapsed_ms, reason)
        select * from unnest(${pgArray(a.map((x) => x.vm))}::uuid[], ${pgArray(a.map((x) => x.hostId))}::uuid[],
                             ${pgArray(a.map((x) => x.at.toISOString()))}::timestamptz[], ${quotedArray(a.map((x) => x.counter))}::text[],
                             ${pgArray(a.map((x) => x.previous))}::numeric[], ${pgArray(a.map((x) => x.current))}::numeric[],
                             ${pgArray(a.map((x) => Math.min(x.elapsedMs, 2_147_483_647)))}::int[], ${quotedArray(a.map((x) => x.reason))}::text[])`,
  );
}
