// Retention: usage_minute rows older than MINUTE_RETENTION_DAYS are deleted, but only whole hours whose
// minutes are already rolled up (the hour's and its 5-minute buckets' sample counts equal the minutes'),
// so a late minute that no rollup has seen yet is never lost.
import type { AppContext } from '../context.ts';
import { rows, sql } from '../db/client.ts';
import { floorTo, minuteHorizon } from './rollup.ts';

export interface RetentionResult {
  /** Minutes before this (an hour boundary) were eligible. */
  before: Date;
  deleted: number;
  /** (vm, hour) groups kept because they are not (fully) rolled up yet. */
  keptNotRolledUp: number;
}

export async function applyMinuteRetention(ctx: Pick<AppContext, 'db' | 'clock' | 'config' | 'log'>): Promise<RetentionResult> {
  const before = floorTo(minuteHorizon(ctx.clock.now(), ctx.config.minuteRetentionDays), 3_600_000);
  const b = before.toISOString();
  const r = await rows<{ deleted: number; kept: number }>(
    ctx.db,
    sql`with groups as (
          select m.vm_uuid, date_trunc('hour', m.bucket, 'UTC') as h, sum(m.samples) as s
            from usage_minute m where m.bucket < ${b}::timestamptz group by 1, 2),
        done as (
          select g.vm_uuid, g.h from groups g
           where g.s = (select uh.samples from usage_hour uh where uh.vm_uuid = g.vm_uuid and uh.bucket = g.h)
             and g.s = (select sum(u5.samples) from usage_5min u5
                         where u5.vm_uuid = g.vm_uuid and u5.bucket >= g.h and u5.bucket < g.h + interval '1 hour')),
        del as (
          delete from usage_minute m using done
           where m.vm_uuid = done.vm_uuid and m.bucket >= done.h and m.bucket < done.h + interval '1 hour'
             and m.bucket < ${b}::timestamptz
          returning 1)
        select (select count(*) from del)::int as deleted,
               ((select count(*) from groups) - (select count(*) from done))::int as kept`,
  );
  const res = { before, deleted: r[0]?.deleted ?? 0, keptNotRolledUp: r[0]?.kept ?? 0 };
  if (res.keptNotRolledUp > 0) ctx.log.warn(res, 'minute retention kept hours that are not rolled up yet');
  return res;
}
