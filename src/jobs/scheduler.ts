// Background jobs: the poll loop (every POLL_INTERVAL_SECONDS; leases share hosts between replicas) and the
// rollup / retention crons, each under a Postgres advisory lock so exactly one replica runs it. Jobs are
// thin: they call one collectors verb.
import { schedule as cronSchedule } from 'node-cron';
import { performance } from 'node:perf_hooks';
import type { AppContext } from '../context.ts';
import { inTransaction, rows, sql } from '../db/client.ts';
import { runPollCycle, type CycleReport, type PollOptions } from '../collectors/poll.ts';
import { applyMinuteRetention } from '../collectors/retention.ts';
import { rollupRecent } from '../collectors/rollup.ts';

/** Advisory lock keys (one per job; any constant distinct from other modules' keys). */
export const JOB_LOCKS = { rollup5min: 7_412_001, rollupHour: 7_412_002, daily: 7_412_003 } as const;
export type JobName = keyof typeof JOB_LOCKS;

const JOBS: Record<JobName, (ctx: AppContext) => Promise<unknown>> = {
  rollup5min: (ctx) => rollupRecent(ctx, '5min'),
  rollupHour: (ctx) => rollupRecent(ctx, 'hour'),
  daily: async (ctx) => ({ day: await rollupRecent(ctx, 'day'), retention: await applyMinuteRetention(ctx) }),
};

/**
 * Runs one job if no other replica is running it: `pg_try_advisory_xact_lock` (released with the
 * transaction; works on PGlite too). Returns `skipped` when another replica holds the lock.
 */
export async function runLockedJob(ctx: AppContext, job: JobName): Promise<{ ran: boolean; result?: unknown }> {
  return inTransaction(ctx.db, async (tx) => {
    const [r] = await rows<{ locked: boolean }>(tx, sql`select pg_try_advisory_xact_lock(${JOB_LOCKS[job]}) as locked`);
    if (!r?.locked) return { ran: false };
    return { ran: true, result: await JOBS[job]({ ...ctx, db: tx }) };
  });
}

export interface PollLoop {
  stop(): Promise<void>;
  readonly cycles: number;
}

/**
 * Polls due hosts every `intervalMs` (default POLL_INTERVAL_SECONDS) without overlapping itself. A timer
 * loop rather than cron: intervals need not divide a minute, and a slow cycle delays the next instead of
 * stacking. Errors of a whole cycle (database down) are logged and the loop goes on.
 */
export function startPollLoop(ctx: AppContext, opts: PollOptions & { intervalMs?: number; onCycle?: (r: CycleReport) => void } = {}): PollLoop {
  const intervalMs = opts.intervalMs ?? ctx.config.pollIntervalSeconds * 1000;
  let stopped = false;
  let cycles = 0;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const done = (async () => {
    while (!stopped) {
      const t0 = performance.now();
      try {
        const report = await runPollCycle(ctx, opts);
        cycles += 1;
        opts.onCycle?.(report);
      } catch (err) {
        ctx.log.error({ err: err instanceof Error ? err.message : String(err) }, 'poll cycle failed');
      }
      const wait = Math.max(0, intervalMs - (performance.now() - t0));
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, wait);
      });
    }
  })();
  return {
    get cycles() {
      return cycles;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await done;
    },
  };
}

export interface Scheduler {
  stop(): Promise<void>;
}

/** Starts the poll loop and the rollup / retention crons (UTC). */
export function startScheduler(ctx: AppContext, opts: { poll?: boolean } = {}): Scheduler {
  const loop = opts.poll === false ? undefined : startPollLoop(ctx);
  const schedule = (name: JobName, expr: string) =>
    cronSchedule(
      expr,
      async () => {
        try {
          const r = await runLockedJob(ctx, name);
          ctx.log.info({ job: name, ran: r.ran, result: r.result }, r.ran ? 'job done' : 'job skipped: another replica holds its lock');
        } catch (err) {
          ctx.log.error({ job: name, err: err instanceof Error ? err.message : String(err) }, 'job failed');
        }
      },
      { name: `kamikazi-${name}`, noOverlap: true, timezone: 'Etc/UTC' },
    );
  // A little after each boundary, so polls that straddled it have landed; each run re-covers a few buckets.
  const tasks = [schedule('rollup5min', '20 */5 * * * *'), schedule('rollupHour', '40 1 * * * *'), schedule('daily', '0 7 0 * * *')];
  return {
    async stop() {
      for (const t of tasks) await t.destroy();
      await loop?.stop();
    },
  };
}
