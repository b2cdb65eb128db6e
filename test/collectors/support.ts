// Shared set-up for collector tests: an AppContext over a test database, a ManualClock and a sim fleet.
import { ManualClock } from '../../src/clock.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { AppContext } from '../../src/context.ts';
import { createProviderRegistry } from '../../src/billing/payments/select.ts';
import { flushOpenMinutes } from '../../src/collectors/open-minute.ts';
import { rows, sql, type Db } from '../../src/db/client.ts';
import { silentLogger } from '../../src/log.ts';
import { createAdapterProvider } from '../../src/hosts/provider.ts';
import { addHost } from '../../src/hosts/registry.ts';
import { createSimFleet, type SimFleet } from '../../src/hosts/sim/fleet.ts';
import type { SimFleetOptions } from '../../src/hosts/sim/types.ts';
import { METERS, type Meter } from '../../src/db/schema/usage.ts';

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ POLL_INTERVAL_SECONDS: '60', POLL_CONCURRENCY: '8', HOST_LEASE_SECONDS: '60', ...env });
}

export interface SimWorld {
  ctx: AppContext;
  clock: ManualClock;
  fleet: SimFleet;
  hostIds: Map<string, string>;
}

/** A fleet, its hosts registered (due at the clock's start) and a context polling them through SimAdapters. */
export async function simWorld(db: Db, o: { start: Date; fleet: Omit<SimFleetOptions, 'start'> & { start?: Date }; env?: Record<string, string> }): Promise<SimWorld> {
  const clock = new ManualClock(o.start);
  const fleet = createSimFleet({ ...o.fleet, start: o.fleet.start ?? o.start });
  const config = testConfig(o.env);
  const ctx: AppContext = { db, clock, log: silentLogger, config, hosts: createAdapterProvider({ fleet, clock, config, log: silentLogger }), payments: createProviderRegistry(config.payments, clock) };
  const hostIds = new Map<string, string>();
  for (const name of fleet.hostNames) {
    const h = await addHost(db, { name, adapter: 'sim' });
    hostIds.set(name, h.id);
  }
  await rows(db, sql`update hosts set next_poll_at = ${o.start.toISOString()}::timestamptz`);
  return { ctx, clock, fleet, hostIds };
}

export type Totals = Record<Meter | 'samples', string>;

/** Moves every VM's open minute into usage_minute, as rollups do for closed ones: then it holds all usage so far. */
export const flushAllOpenMinutes = (db: Db) => flushOpenMinutes(db, new Date(Date.UTC(9999, 0, 1)));

/** Per-VM sums of one usage table, every meter as exact decimal text; usage_minute with every open minute flushed. */
export async function usageTotals(db: Db, table: 'usage_minute' | 'usage_5min' | 'usage_hour' | 'usage_day'): Promise<Map<string, Totals>> {
  if (table === 'usage_minute') await flushAllOpenMinutes(db);
  const cols = [...METERS, 'samples'].map((c) => `sum(${c})::text as ${c}`).join(', ');
  const r = await rows<Totals & { vm_uuid: string }>(db, sql`select vm_uuid::text, ${sql.raw(cols)} from ${sql.raw(table)} group by vm_uuid`);
  return new Map(r.map(({ vm_uuid, ...t }) => [vm_uuid, t as Totals]));
}
