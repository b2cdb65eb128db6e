// Test factories for billing: VMs, hour/5-minute usage rows (set-based SQL), tenants and plans with defaults.
import { randomUUID } from 'node:crypto';
import { rows, sql, type Db } from '../../src/db/client.ts';
import { ManualClock } from '../../src/clock.ts';
import type { BillingContext } from '../../src/billing/context.ts';
import { createTenant, type NewTenant } from '../../src/billing/catalogue/tenants.ts';
import { createPlan, type NewPlan } from '../../src/billing/catalogue/plans.ts';

export function ctxFor(db: Db, at = '2026-04-02T00:00:00Z'): BillingContext & { clock: ManualClock } {
  return { db, clock: new ManualClock(new Date(at)) };
}

export async function makeVm(db: Db, name: string): Promise<string> {
  const uuid = randomUUID();
  await rows(db, sql`insert into vms (uuid, name, first_seen_at, last_seen_at) values (${uuid}::uuid, ${name}, '2026-01-01T00:00:00Z'::timestamptz, '2026-01-01T00:00:00Z'::timestamptz)`);
  return uuid;
}

export interface HourUsage {
  cpuSeconds?: bigint;
  vcpuSeconds?: string;
  memMibSeconds?: string;
  diskReadBytes?: bigint;
  diskWriteBytes?: bigint;
  netRxBytes?: bigint;
  netTxBytes?: bigint;
}

/** The same usage in every hour bucket of [from, to). */
export async function fillHours(db: Db, vm: string, from: string, to: string, u: HourUsage): Promise<void> {
  await rows(
    db,
    sql`insert into usage_hour (vm_uuid, bucket, cpu_seconds, vcpu_seconds, mem_mib_seconds, disk_read_bytes, disk_write_bytes, net_rx_bytes, net_tx_bytes, uptime_seconds, samples)
        select ${vm}::uuid, g, ${(u.cpuSeconds ?? 0n).toString()}::bigint, ${u.vcpuSeconds ?? '0'}::numeric, ${u.memMibSeconds ?? '0'}::numeric,
               ${(u.diskReadBytes ?? 0n).toString()}::bigint, ${(u.diskWriteBytes ?? 0n).toString()}::bigint,
               ${(u.netRxBytes ?? 0n).toString()}::bigint, ${(u.netTxBytes ?? 0n).toString()}::bigint, 3600, 60
        from generate_series(${from}::timestamptz, ${to}::timestamptz - interval '1 hour', interval '1 hour') g`,
  );
}

export async function tenant(ctx: BillingContext, over: Partial<NewTenant> = {}) {
  return createTenant(ctx, { company: `Tenant ${randomUUID().slice(0, 8)}`, billingEmail: 'billing@example.test', currency: 'EUR', ...over });
}

export async function plan(ctx: BillingContext, over: Partial<NewPlan> = {}) {
  return createPlan(ctx, { name: `plan-${randomUUID().slice(0, 8)}`, currency: 'EUR', basePrice: 1000n, ...over });
}

export const MARCH = { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' };
export const GIB = 1n << 30n;

/** Drizzle wraps driver errors ("Failed query: …"); the database's own message is in `cause`. */
export async function dbError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { cause?: { message?: string } };
    return `${e.message}\n${e.cause?.message ?? ''}`;
  }
  throw new Error('expected the database to refuse the statement, but it succeeded');
}
