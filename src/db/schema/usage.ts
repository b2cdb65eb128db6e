// Usage time buckets. Every grain has the same meter columns so rollups are one statement.
import { sql } from 'drizzle-orm';
import { integer, pgTable, primaryKey, uuid, index } from 'drizzle-orm/pg-core';
import { decimal, int64, tstz } from './columns.ts';

/** The meters, in the order used by bulk writers and rollups. Gauge integrals are exact decimals (ms precision). */
export const METERS = [
  'cpu_seconds',
  'vcpu_seconds',
  'mem_mib_seconds',
  'disk_read_bytes',
  'disk_write_bytes',
  'net_rx_bytes',
  'net_tx_bytes',
  'uptime_seconds',
] as const;
export type Meter = (typeof METERS)[number];

const meterColumns = () => ({
  cpuSeconds: int64('cpu_seconds').notNull().default(sql`0`),
  vcpuSeconds: decimal('vcpu_seconds', 24, 3).notNull().default('0'),
  memMibSeconds: decimal('mem_mib_seconds', 28, 3).notNull().default('0'),
  diskReadBytes: int64('disk_read_bytes').notNull().default(sql`0`),
  diskWriteBytes: int64('disk_write_bytes').notNull().default(sql`0`),
  netRxBytes: int64('net_rx_bytes').notNull().default(sql`0`),
  netTxBytes: int64('net_tx_bytes').notNull().default(sql`0`),
  uptimeSeconds: decimal('uptime_seconds', 24, 3).notNull().default('0'),
  samples: integer('samples').notNull().default(0),
});

/** Rolled-up grains are read per VM over time (charts, rating): keyed (vm, bucket) plus a time index. */
const bucketTable = (name: string) =>
  pgTable(
    name,
    { vmUuid: uuid('vm_uuid').notNull(), bucket: tstz('bucket').notNull(), ...meterColumns() },
    (t) => [primaryKey({ columns: [t.vmUuid, t.bucket] }), index(`${name}_bucket`).on(t.bucket)],
  );

/**
 * The ingest table is written every poll and read only by time (rollups, retention): keyed (bucket, vm) so a
 * cycle's rows append at the right edge of one B-tree, with no second index to maintain.
 */
export const usageMinute = pgTable(
  'usage_minute',
  { vmUuid: uuid('vm_uuid').notNull(), bucket: tstz('bucket').notNull(), ...meterColumns() },
  (t) => [primaryKey({ columns: [t.bucket, t.vmUuid] })],
);
export const usage5Min = bucketTable('usage_5min');
export const usageHour = bucketTable('usage_hour');
export const usageDay = bucketTable('usage_day');
