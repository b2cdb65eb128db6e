// Billing crons: invoice run (tenants whose billing day is today), autopay collection of what was finalized
// (hourly, so it follows the invoice run and invoices finalized by hand), dunning and tithe settlement.
// Each holds pg_try_advisory_xact_lock so one replica runs it; each verb is idempotent, so a re-run or a
// second replica after the lock is released does no harm.
import { schedule as cronSchedule } from 'node-cron';
import type { AppContext } from '../context.ts';
import { inTransaction, rows, sql, type Db } from '../db/client.ts';
import { tenants } from '../db/schema/billing.ts';
import { eq } from 'drizzle-orm';
import { runInvoicePeriod } from '../billing/invoices/run-period.ts';
import { runDunning } from '../billing/dunning/run.ts';
import { settleTithes } from '../billing/tithe/settle.ts';
import { collectAutopay } from '../billing/payments/autopay.ts';
import { paymentsDeps, type PaymentsDeps } from '../billing/payments/deps.ts';

export const BILLING_JOB_LOCKS = { invoiceRun: 7_413_001, dunning: 7_413_002, titheSettlement: 7_413_003, autopay: 7_413_004 } as const;
export type BillingJob = keyof typeof BILLING_JOB_LOCKS;

/** The period that ends today for a tenant whose billing day is today: last month's label. */
function closingPeriod(now: Date): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return d.toISOString().slice(0, 7);
}

async function invoiceRun(ctx: AppContext): Promise<unknown> {
  const now = ctx.clock.now();
  const due = await ctx.db.select({ id: tenants.id }).from(tenants).where(eq(tenants.billingDay, now.getUTCDate()));
  const period = closingPeriod(now);
  const results = [];
  for (const t of due) results.push(await runInvoicePeriod({ db: ctx.db, clock: ctx.clock }, { period, tenantId: t.id, finalize: true }));
  return { tenants: due.length, period, results: results.length };
}

/**
 * postgres.js clients are callable (sql`…`) and pool connections; PGlite is a plain object with one
 * connection (its class name is minified, so it cannot be recognised by name).
 */
function hasPool(db: Db): boolean {
  return typeof (db as unknown as { $client?: unknown }).$client === 'function';
}

/**
 * Run one billing job under its advisory lock. PostgreSQL: the lock's transaction stays open while the work
 * runs on the pool, so each payment commits on its own. PGlite (one connection, one process): work runs in
 * the lock's transaction.
 */
export async function runBillingJob(ctx: AppContext, job: BillingJob, deps: PaymentsDeps = paymentsDeps(ctx)): Promise<{ ran: boolean; result?: unknown }> {
  const single = !hasPool(ctx.db);
  return inTransaction(ctx.db, async (tx) => {
    const [r] = await rows<{ locked: boolean }>(tx, sql`select pg_try_advisory_xact_lock(${BILLING_JOB_LOCKS[job]}) as locked`);
    if (!r?.locked) return { ran: false };
    const c = single ? { ...ctx, db: tx } : ctx;
    const d = single ? { ...deps, db: tx } : deps;
    const result =
      job === 'invoiceRun' ? await invoiceRun(c) : job === 'autopay' ? await collectAutopay(d) : job === 'dunning' ? await runDunning(d) : await settleTithes(d);
    return { ran: true, result };
  });
}

export interface BillingJobs {
  /** Stops the schedules and waits for a run in progress to finish. */
  stop(): Promise<void>;
}

export function startBillingJobs(ctx: AppContext): BillingJobs {
  const deps = paymentsDeps(ctx);
  const running = new Set<Promise<void>>();
  const run = (job: BillingJob) => () => {
    const p = (async () => {
      try {
        const r = await runBillingJob(ctx, job, deps);
        ctx.log.info({ job, ...r }, r.ran ? 'billing job done' : 'billing job skipped: another replica holds the lock');
      } catch (err) {
        ctx.log.error({ job, err }, 'billing job failed');
      }
    })();
    running.add(p);
    return p.finally(() => running.delete(p));
  };
  const tasks = [
    cronSchedule('10 0 * * *', run('invoiceRun'), { name: 'kamikazi-invoiceRun', timezone: 'Etc/UTC', noOverlap: true }),
    cronSchedule('20 * * * *', run('autopay'), { name: 'kamikazi-autopay', timezone: 'Etc/UTC', noOverlap: true }),
    cronSchedule('0 6 * * *', run('dunning'), { name: 'kamikazi-dunning', timezone: 'Etc/UTC', noOverlap: true }),
    cronSchedule('30 6 * * *', run('titheSettlement'), { name: 'kamikazi-titheSettlement', timezone: 'Etc/UTC', noOverlap: true }),
  ];
  return {
    async stop() {
      for (const t of tasks) await t.destroy();
      await Promise.all([...running]);
    },
  };
}
