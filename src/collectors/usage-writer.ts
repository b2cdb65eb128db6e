// usage_minute upserts that ADD deltas, pre-aggregated per batch (one statement may not touch a key twice),
// and meter_anomalies rows. Bulk statements over unnest() arrays.
import { pgArray, rows, sql, type Db } from '../db/client.ts';
import type { Anomaly, UsageDelta } from './deltas.ts';
import { milliToDecimal, minuteOf, quotedArray } from './pg-arrays.ts';

interface MinuteRow extends UsageDelta {
  vm: string;
  minute: string;
  samples: number;
}

/** Sums deltas per (vm, minute of takenAt). */
export class MinuteAggregator {
  private readonly rows = new Map<string, MinuteRow>();

  add(vm: string, takenAt: Date, u: UsageDelta): void {
    const minute = minuteOf(takenAt);
    const key = `${vm}|${minute}`;
    const r = this.rows.get(key);
    if (!r) {
      this.rows.set(key, { vm, minute, samples: 1, ...u });
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

export async function writeMinuteUsage(tx: Db, agg: MinuteAggregator): Promise<void> {
  const r = agg.list();
  if (r.length === 0) return;
  const big = (f: (x: MinuteRow) => bigint) => pgArray(r.map(f));
  const dec = (f: (x: MinuteRow) => bigint) => pgArray(r.map((x) => milliToDecimal(f(x))));
  await rows(
    tx,
    sql`insert into usage_minute (vm_uuid, bucket, cpu_seconds, vcpu_seconds, mem_mib_seconds, disk_read_bytes, disk_write_bytes,
                                  net_rx_bytes, net_tx_bytes, uptime_seconds, samples)
        select * from unnest(${pgArray(r.map((x) => x.vm))}::uuid[], ${pgArray(r.map((x) => x.minute))}::timestamptz[],
                             ${big((x) => x.cpuSeconds)}::bigint[], ${dec((x) => x.vcpuMs)}::numeric[], ${dec((x) => x.memMibMs)}::numeric[],
                             ${big((x) => x.diskReadBytes)}::bigint[], ${big((x) => x.diskWriteBytes)}::bigint[],
                             ${big((x) => x.netRxBytes)}::bigint[], ${big((x) => x.netTxBytes)}::bigint[],
                             ${dec((x) => x.uptimeMs)}::numeric[], ${pgArray(r.map((x) => x.samples))}::int[])
        on conflict (vm_uuid, bucket) do update set
          cpu_seconds = usage_minute.cpu_seconds + excluded.cpu_seconds,
          vcpu_seconds = usage_minute.vcpu_seconds + excluded.vcpu_seconds,
          mem_mib_seconds = usage_minute.mem_mib_seconds + excluded.mem_mib_seconds,
          disk_read_bytes = usage_minute.disk_read_bytes + excluded.disk_read_bytes,
          disk_write_bytes = usage_minute.disk_write_bytes + excluded.disk_write_bytes,
          net_rx_bytes = usage_minute.net_rx_bytes + excluded.net_rx_bytes,
          net_tx_bytes = usage_minute.net_tx_bytes + excluded.net_tx_bytes,
          uptime_seconds = usage_minute.uptime_seconds + excluded.uptime_seconds,
          samples = usage_minute.samples + excluded.samples`,
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
