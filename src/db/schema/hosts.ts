// Hosts, the VMs seen on them, and per-VM counter state for delta computation.
import { boolean, index, integer, jsonb, pgTable, text, uuid, bigserial } from 'drizzle-orm/pg-core';
import { createdAt, id, tstz, decimal } from './columns.ts';

export const hosts = pgTable('hosts', {
  id: id(),
  name: text('name').notNull().unique(),
  /** 'ssh' | 'local' | 'sim' */
  adapter: text('adapter').notNull(),
  address: text('address'),
  port: integer('port').notNull().default(22),
  username: text('username'),
  keyPath: text('key_path'),
  /** Pinned host key fingerprint, `SHA256:<base64>` as OpenSSH prints it. */
  hostKey: text('host_key'),
  sysfsRoot: text('sysfs_root').notNull().default('/sys/bus/xen-backend/devices'),
  enabled: boolean('enabled').notNull().default(true),
  createdAt: createdAt(),
  leaseOwner: text('lease_owner'),
  leaseUntil: tstz('lease_until'),
  nextPollAt: tstz('next_poll_at').notNull().defaultNow(),
  lastPollAt: tstz('last_poll_at'),
  lastSuccessAt: tstz('last_success_at'),
  lastError: text('last_error'),
  lastErrorAt: tstz('last_error_at'),
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
}, (t) => [index('hosts_due').on(t.nextPollAt)]);

/** Every failed poll, so gaps in usage are explained (and drawn on charts). */
export const hostPollFailures = pgTable(
  'host_poll_failures',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    hostId: uuid('host_id').notNull().references(() => hosts.id, { onDelete: 'cascade' }),
    at: tstz('at').notNull(),
    error: text('error').notNull(),
  },
  (t) => [index('host_poll_failures_host_at').on(t.hostId, t.at)],
);

/** A VM is its Xen UUID; name, host and domid are its latest observed attributes. */
export const vms = pgTable(
  'vms',
  {
    uuid: uuid('uuid').primaryKey(),
    name: text('name').notNull(),
    hostId: uuid('host_id').references(() => hosts.id, { onDelete: 'set null' }),
    domid: integer('domid'),
    state: text('state').notNull().default('unknown'),
    vcpus: integer('vcpus').notNull().default(0),
    memoryMiB: integer('memory_mib').notNull().default(0),
    firstSeenAt: tstz('first_seen_at').notNull(),
    lastSeenAt: tstz('last_seen_at').notNull(),
  },
  (t) => [index('vms_host').on(t.hostId)],
);

/**
 * Last sample per VM: the incarnation (host, domid) it came from, the gauges for
 * integration and the cumulative counters (decimal strings, up to 2^64) for deltas.
 * Written in the same transaction as the usage buckets, with the open minute's usage.
 */
export const vmMeterState = pgTable('vm_meter_state', {
  vmUuid: uuid('vm_uuid').primaryKey(),
  hostId: uuid('host_id').notNull(),
  domid: integer('domid').notNull(),
  sampledAt: tstz('sampled_at').notNull(),
  /** Normalised domain state at the sample (running/blocked/paused/…): gauges integrate only while up. */
  state: text('state').notNull().default('running'),
  vcpus: integer('vcpus').notNull(),
  memoryKiB: decimal('memory_kib', 20, 0).notNull(),
  counters: jsonb('counters').$type<Record<string, string>>().notNull(),
  /** The minute of the last sample, still open: its summed deltas (open-minute.ts), not yet in usage_minute. */
  openBucket: tstz('open_bucket'),
  openUsage: jsonb('open_usage').$type<Record<string, string | number>>(),
});

/** Counter jumps no hardware could make: flagged here, never billed. */
export const meterAnomalies = pgTable(
  'meter_anomalies',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    vmUuid: uuid('vm_uuid').notNull(),
    hostId: uuid('host_id'),
    at: tstz('at').notNull(),
    counter: text('counter').notNull(),
    previous: decimal('previous', 20, 0),
    current: decimal('current', 20, 0).notNull(),
    elapsedMs: integer('elapsed_ms').notNull(),
    reason: text('reason').notNull(),
  },
  (t) => [index('meter_anomalies_vm_at').on(t.vmUuid, t.at)],
);
