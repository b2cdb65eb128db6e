// usage_minute writes that ADD deltas, pre-aggregated per batch (one statement may not touch a key twice),
// and meter_anomalies rows. Bulk statements, never row-by-row.
//
// Rows whose VM had no earlier sample in that minute (`fresh`: with a 10 s poll, the first of six) are nearly
// always new keys. On PostgreSQL they are COPYed straight into usage_minute under a savepoint, at about the cost
// of a COPY into a plain table; INSERT … ON CONFLICT costs twice that for a new key (speculative insertion). If a
// fresh key was there after all (say, a replica wrote the same VM's minute), the COPY fails on the primary key,
// its savepoint rolls back and those rows are added by the upsert instead: correct either way, fast when the
// guess holds. The other rows, and every row on PGlite (no COPY from a client stream), go through the upsert.
import { copyIn, pgArray, postgresTransactionOf, rows, sql, type Db } from '../db/client.ts';
import { BinaryCopyRows } from '../db/copy-binary.ts';
import type { Anomaly, UsageDelta } from './deltas.ts';
import { milliToDecimal, quotedArray } from './pg-arrays.ts';

interface MinuteRow extends UsageDelta {
  vm: string;
  /** Start of the minute, epoch milliseconds. */
  minuteMs: number;
  samples: number;
  /** The VM's previous sample was in an earlier minute, so this key is most likely not in usage_minute yet. */
  fresh: boolean;
}

/** Sums deltas per (vm, minute of takenAt). */
export class MinuteAggregator {
  private readonly rows = new Map<string, MinuteRow>();

  add(vm: string, takenAt: Date, u: UsageDelta, fresh = false): void {
    const minuteMs = Math.floor(takenAt.getTime() / 60_000) * 60_000;
    const key = `${vm}|${minuteMs}`;
    const r = this.rows.get(key);
    if (!r) {
      this.rows.set(key, { vm, minuteMs, samples: 1, fresh, ...u });
      return;
    }
    r.samples += 1;
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
const ADD_ON_CONFLICT = `on conflict (bucket, vm_uuid) do update set
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
  // These deltas commit with the meter state they were computed from (write-batch.ts), so a commit lost in a
  // server crash is not lost usage: the next poll computes the same growth again from the older state. The
  // commit need not wait for its WAL flush.
  if (pg) await pg.unsafe('set local synchronous_commit = off');
  const fresh = pg ? all.filter((x) => x.fresh) : [];
  let rest = fresh.length === 0 ? all : all.filter((x) => !x.fresh);
  if (pg && fresh.length > 0) {
    const data = binaryRows(fresh);
    try {
      await pg.savepoint((sp) => copyIn(sp, `copy usage_minute (${COLUMNS}) from stdin (format binary)`, data));
    } catch (e) {
      if ((e as { code?: string }).code !== '23505') throw e; // unique_violation: a fresh key was there after all
      rest = all;
    }
  }
  if (rest.length > 0) await upsertFromArrays(tx, rest);
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
