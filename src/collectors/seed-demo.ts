// Registers the simulated fleet's hosts (adapter `sim`) so the collectors poll them: used by
// `kamikazi demo`, and by `kamikazi serve` on an empty database.
import { rows, sql } from '../db/client.ts';
import { quotedArray } from './pg-arrays.ts';
import type { AppContext } from '../context.ts';
import type { SimFleet } from '../hosts/sim/fleet.ts';

export interface SeedDemoOptions {
  fleet: SimFleet;
  /** When the new hosts are first due (default: the clock's now). */
  firstPollAt?: Date;
}

/** Inserts missing sim hosts (existing rows are left as they are). Returns how many were added. */
export async function seedDemoFleet(ctx: Pick<AppContext, 'db' | 'clock'>, opts: SeedDemoOptions): Promise<number> {
  const due = (opts.firstPollAt ?? ctx.clock.now()).toISOString();
  const names = [...opts.fleet.hostNames];
  const r = await rows<{ n: number }>(
    ctx.db,
    sql`with ins as (
          insert into hosts (name, adapter, next_poll_at)
          select n, 'sim', ${due}::timestamptz from unnest(${quotedArray(names)}::text[]) as n
          on conflict (name) do nothing returning 1)
        select count(*)::int as n from ins`,
  );
  return r[0]?.n ?? 0;
}
