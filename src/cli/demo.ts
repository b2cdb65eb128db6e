// `kamikazi demo --days N [--hosts H --vms V --step S]`: registers the simulated fleet and runs N days of
// polls on a manual clock through the real poll cycle (progress on stderr), rolls up, prints a summary.
import { parseArgs } from 'node:util';
import type { Command } from '../cli.ts';
import { ManualClock, systemClock } from '../clock.ts';
import { runPollCycle } from '../collectors/poll.ts';
import { applyMinuteRetention } from '../collectors/retention.ts';
import { floorTo, rollupAll, rollupRecent } from '../collectors/rollup.ts';
import { seedDemoFleet } from '../collectors/seed-demo.ts';
import { rows, sql } from '../db/client.ts';
import { METERS } from '../db/schema/usage.ts';
import { quotedArray } from '../collectors/pg-arrays.ts';
import { createCliContext, DEFAULT_SIM_HOSTS, DEFAULT_SIM_VMS_PER_HOST, SIM_EPOCH } from './context.ts';
import { createProgress } from './progress.ts';
import { formatTable } from './table.ts';

export { seedDemoFleet } from '../collectors/seed-demo.ts';

const DAY = 86_400_000;

function positiveInt(v: string | undefined, flag: string, dflt: number, max: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw new Error(`${flag}: expected a whole number from 1 to ${max}, got ${JSON.stringify(v)}`);
  return Number(v);
}

export const command: Command = {
  summary: 'simulate N days of a sim fleet through the collectors (--days N [--hosts H --vms V --step SECONDS])',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { days: { type: 'string' }, hosts: { type: 'string' }, vms: { type: 'string' }, step: { type: 'string' } },
      strict: true,
    });
    if (values.days === undefined) throw new Error('--days is required (e.g. kamikazi demo --days 7)');
    const days = positiveInt(values.days, '--days', 1, 3650);
    const hosts = positiveInt(values.hosts, '--hosts', DEFAULT_SIM_HOSTS, 1000);
    const vms = positiveInt(values.vms, '--vms', DEFAULT_SIM_VMS_PER_HOST, 200);
    const stepMs = positiveInt(values.step, '--step', 60, 3600) * 1000;

    const clock = new ManualClock(0);
    const cli = await createCliContext({ clock, sim: { hosts, vmsPerHost: vms } });
    const { ctx, fleet } = cli;
    try {
      // End at the present; but never before what the database already holds (samples older than the
      // stored state would be ignored as stale) nor before the fleet's epoch.
      const [last] = await rows<{ ms: string | null }>(ctx.db, sql`select (extract(epoch from max(last_success_at)) * 1000)::bigint::text as ms from hosts`);
      const wanted = floorTo(new Date(systemClock.now().getTime() - days * DAY), 60_000).getTime();
      const start = Math.max(wanted, last?.ms ? Number(last.ms) + stepMs : 0, SIM_EPOCH.getTime());
      const end = start + days * DAY;
      clock.set(start);
      const added = await seedDemoFleet(ctx, { fleet, firstPollAt: new Date(start) });
      await rows(ctx.db, sql`update hosts set next_poll_at = ${new Date(start).toISOString()}::timestamptz, lease_owner = null, lease_until = null
                              where adapter = 'sim' and name = any(${quotedArray([...fleet.hostNames])}::text[])`);

      const total = Math.floor((end - start) / stepMs);
      const progress = createProgress('demo', total);
      let samples = 0;
      let failed = 0;
      for (let i = 0; i <= total; i++) {
        const t = start + i * stepMs;
        clock.set(t);
        const r = await runPollCycle(ctx);
        samples += r.hosts.reduce((n, h) => n + h.vms, 0);
        failed += r.hosts.filter((h) => h.status === 'failed').length;
        // What the scheduler would do, on simulated time: rollups each hour, days and retention daily.
        if (t % 3_600_000 < stepMs) {
          await rollupRecent(ctx, '5min');
          await rollupRecent(ctx, 'hour');
        }
        if (t % DAY < stepMs) {
          await rollupRecent(ctx, 'day');
          await applyMinuteRetention(ctx);
        }
        progress.tick(i, new Date(t).toISOString().slice(0, 16).replace('T', ' '));
      }
      progress.finish(new Date(end).toISOString().slice(0, 16).replace('T', ' '));
      clock.set(floorTo(new Date(end), DAY).getTime() + DAY); // close the last day, then roll everything up
      await rollupAll(ctx, { from: new Date(start), to: clock.now() });

      const cols = METERS.map((m) => `sum(${m})::text as ${m}`).join(', ');
      const [tot] = await rows<Record<string, string>>(
        ctx.db,
        sql`select ${sql.raw(cols)} from usage_day where bucket >= ${new Date(floorTo(new Date(start), DAY)).toISOString()}::timestamptz`,
      );
      const [anom] = await rows<{ n: number }>(ctx.db, sql`select count(*)::int as n from meter_anomalies where at >= ${new Date(start).toISOString()}::timestamptz`);
      process.stdout.write(
        `demo: ${days} day(s) from ${new Date(start).toISOString()} to ${new Date(end).toISOString()}, ${fleet.hostNames.length} hosts ` +
          `(${added} new) × ${vms} VMs, ${total + 1} cycles every ${stepMs / 1000} s: ${samples} VM samples, ${failed} failed host polls, ` +
          `${anom?.n ?? 0} anomalies\n\n` +
          formatTable(['meter', 'fleet total'], METERS.map((m) => [m, tot?.[m] ?? '0'])),
      );
      return 0;
    } finally {
      await cli.close();
    }
  },
};
