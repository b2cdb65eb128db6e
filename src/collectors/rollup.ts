// Rollups: usage_minute → usage_5min and usage_hour, usage_hour → usage_day. Each is an idempotent
// recomputation of CLOSED buckets (sums, replacing what was there), so re-running changes nothing and a
// late minute is picked up by the next run that re-covers its bucket. Minute-sourced rollups first move the
// open minutes that ended before their window's end into usage_minute (open-minute.ts).
import type { AppContext } from '../context.ts';
import { rows, sql, type Db } from '../db/client.ts';
import { METERS } from '../db/schema/usage.ts';
import { flushOpenMinutes } from './open-minute.ts';

export type RollupGrain = '5min' | 'hour' | 'day';

const GRAIN_MS: Record<RollupGrain, number> = { '5min': 300_000, hour: 3_600_000, day: 86_400_000 };
const TARGET: Record<RollupGrain, string> = { '5min': 'usage_5min', hour: 'usage_hour', day: 'usage_day' };
const SOURCE: Record<RollupGrain, string> = { '5min': 'usage_minute', hour: 'usage_minute', day: 'usage_hour' };
const BUCKET_EXPR: Record<RollupGrain, string> = {
  '5min': `date_bin('5 minutes', bucket, timestamptz '2000-01-01T00:00:00Z')`,
  hour: `date_trunc('hour', bucket, 'UTC')`,
  day: `date_trunc('day', bucket, 'UTC')`,
};

export interface RollupResult {
  grain: RollupGrain;
  from: Date;
  to: Date;
  /** Target rows inserted or changed (unchanged rows are not rewritten). */
  changed: number;
  /** Set when the window was cut at the minute retention horizon. */
  clampedFrom?: Date;
  /** Nothing to do: the window was empty after aligning and clamping. */
  empty: boolean;
}

export const floorTo = (t: Date, ms: number) => new Date(Math.floor(t.getTime() / ms) * ms);
export const ceilTo = (t: Date, ms: number) => new Date(Math.ceil(t.getTime() / ms) * ms);

/** The oldest minute that retention may have deleted is before this: older minute-sourced windows are partial. */
export function minuteHorizon(now: Date, retentionDays: number): Date {
  return new Date(now.getTime() - retentionDays * 86_400_000);
}

type Ctx = Pick<AppContext, 'db' | 'clock' | 'config' | 'log'>;

/**
 * Recomputes the closed buckets of `grain` inside [from, to): `from` is aligned down, `to` down and to
 * no later than the current open bucket. Minute-sourced grains never start before the minute retention
 * horizon (rounded up to the grain): recomputing there would overwrite complete buckets from partial minutes.
 */
export async function rollup(ctx: Ctx, grain: RollupGrain, window: { from: Date; to: Date }): Promise<RollupResult> {
  const g = GRAIN_MS[grain];
  const now = ctx.clock.now();
  let from = floorTo(window.from, g);
  const to = new Date(Math.min(floorTo(window.to, g).getTime(), floorTo(now, g).getTime()));
  let clampedFrom: Date | undefined;
  if (SOURCE[grain] === 'usage_minute') {
    const horizon = ceilTo(minuteHorizon(now, ctx.config.minuteRetentionDays), g);
    if (from < horizon) {
      ctx.log.warn({ grain, requested: from.toISOString(), horizon: horizon.toISOString() }, 'rollup window clamped at the minute retention horizon: older buckets keep their values');
      from = horizon;
      clampedFrom = horizon;
    }
  }
  if (from >= to) return { grain, from, to, changed: 0, clampedFrom, empty: true };
  if (SOURCE[grain] === 'usage_minute') await flushOpenMinutes(ctx.db, to);
  const changed = await rollupWindow(ctx.db, grain, from, to);
  return { grain, from, to, changed, clampedFrom, empty: false };
}

async function rollupWindow(db: Db, grain: RollupGrain, from: Date, to: Date): Promise<number> {
  const cols = [...METERS, 'samples'];
  const target = TARGET[grain];
  const list = cols.join(', ');
  const sums = cols.map((c) => `sum(${c})`).join(', ');
  const sets = cols.map((c) => `${c} = excluded.${c}`).join(', ');
  const distinct = `(${cols.map((c) => `${target}.${c}`).join(', ')}) is distinct from (${cols.map((c) => `excluded.${c}`).join(', ')})`;
  // Identifiers come from the constant tables above, never from input; the window is bound.
  const r = await rows<{ n: number }>(
    db,
    sql`with up as (
          insert into ${sql.raw(target)} (vm_uuid, bucket, ${sql.raw(list)})
          select vm_uuid, ${sql.raw(BUCKET_EXPR[grain])}, ${sql.raw(sums)}
            from ${sql.raw(SOURCE[grain])}
           where bucket >= ${from.toISOString()}::timestamptz and bucket < ${to.toISOString()}::timestamptz
           group by 1, 2
          on conflict (vm_uuid, bucket) do update set ${sql.raw(sets)} where ${sql.raw(distinct)}
          returning 1)
        select count(*)::int as n from up`,
  );
  return r[0]?.n ?? 0;
}

/** All grains over one window, in dependency order (hours before the days built from them). */
export async function rollupAll(ctx: Ctx, window: { from: Date; to: Date }): Promise<RollupResult[]> {
  return [await rollup(ctx, '5min', window), await rollup(ctx, 'hour', window), await rollup(ctx, 'day', window)];
}

/** How far back the scheduled rollups re-cover, so minutes written late still reach their bucket. */
export const RECOVER: Record<RollupGrain, number> = { '5min': 3 * 300_000, hour: 3 * 3_600_000, day: 2 * 86_400_000 };

/** The scheduled form: the last few closed buckets of one grain. */
export async function rollupRecent(ctx: Ctx, grain: RollupGrain): Promise<RollupResult> {
  const now = ctx.clock.now();
  const to = floorTo(now, GRAIN_MS[grain]);
  return rollup(ctx, grain, { from: new Date(to.getTime() - RECOVER[grain]), to });
}
