// runInvoicePeriod: rate every tenant (or one) for a period label in batches and write drafts (optionally
// finalizing them). Re-running replaces drafts only; finalized invoices are never touched. dryRun writes nothing.
import { and, asc, eq, ne } from 'drizzle-orm';
import { invoices, plans, tenants } from '../../db/schema/billing.ts';
import { inTransaction } from '../../db/client.ts';
import type { BillingContext } from '../context.ts';
import { parsePeriodLabel } from '../period.ts';
import type { Plan } from '../catalogue/plans.ts';
import { preloadUsage, rateBatch } from '../rating/rate-batch.ts';
import type { RatedInvoice, TenantForRating } from '../rating/types.ts';
import { INVOICE_PREFIX } from './numbering.ts';
import { writeRatedInvoices } from './write.ts';

export interface RunInvoicePeriodInput {
  /** 'YYYY-MM' */
  period: string;
  tenantId?: string;
  dryRun?: boolean;
  /** Finalize what was written in the same transaction (numbers assigned). Default false: drafts. */
  finalize?: boolean;
  /** Tenants per set-based batch (one transaction each). */
  batchSize?: number;
  /** How many earlier periods are checked for late usage (default 1: the previous period). */
  lateUsageLookback?: number;
  numberPrefix?: string;
  dueDays?: number;
  /** Keep every RatedInvoice in the result (always on for dry runs). */
  collect?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface CurrencyTotals {
  invoices: number;
  subtotal: bigint;
  tax: bigint;
  total: bigint;
}

export interface RunResult {
  period: string;
  dryRun: boolean;
  tenantsConsidered: number;
  /** Tenants with something to bill. */
  tenantsRated: number;
  created: number;
  replaced: number;
  kept: number;
  skipped: number;
  removed: number;
  numbers: string[];
  /** Totals of what was rated (dry run) or written, per currency. */
  totals: Record<string, CurrencyTotals>;
  invoices: RatedInvoice[];
}

function addTotals(res: RunResult, counted: ReadonlyArray<RatedInvoice>): void {
  for (const r of counted) {
    const t = (res.totals[r.currency] ??= { invoices: 0, subtotal: 0n, tax: 0n, total: 0n });
    t.invoices += 1;
    t.subtotal += r.subtotal;
    t.tax += r.tax;
    t.total += r.total;
  }
}

export async function runInvoicePeriod(ctx: BillingContext, input: RunInvoicePeriodInput): Promise<RunResult> {
  parsePeriodLabel(input.period);
  const dryRun = input.dryRun ?? false;
  const batchSize = input.batchSize ?? 500;
  const tq = ctx.db
    .select({ id: tenants.id, company: tenants.company, currency: tenants.currency, taxRatePercent: tenants.taxRatePercent, pricesIncludeTax: tenants.pricesIncludeTax, billingDay: tenants.billingDay })
    .from(tenants);
  const all: TenantForRating[] = await (input.tenantId ? tq.where(eq(tenants.id, input.tenantId)) : tq).orderBy(asc(tenants.id));
  // Finalized (or later) invoices never change: their tenants are not rated again. writeRatedInvoices still
  // re-checks under row locks, for an invoice finalized while this run was rating.
  const closed = new Set(
    (await ctx.db.select({ tenantId: invoices.tenantId }).from(invoices).where(and(eq(invoices.period, input.period), ne(invoices.status, 'draft')))).map((r) => r.tenantId),
  );
  const list = all.filter((t) => !closed.has(t.id));
  const planRows: Plan[] = await ctx.db.select().from(plans);
  const plansById = new Map(planRows.map((p) => [p.id, p]));
  const res: RunResult = {
    period: input.period, dryRun, tenantsConsidered: all.length, tenantsRated: 0, created: 0, replaced: 0, kept: all.length - list.length, skipped: 0, removed: 0,
    numbers: [], totals: {}, invoices: [],
  };
  const now = ctx.clock.now();
  const writeBatch = async (batch: TenantForRating[], rated: RatedInvoice[]): Promise<RatedInvoice[]> => {
    const w = await inTransaction(ctx.db, (tx) =>
      writeRatedInvoices(tx, batch.map((t) => t.id), input.period, rated, {
        finalize: input.finalize ?? false, now, dueDays: input.dueDays ?? 14, prefix: input.numberPrefix ?? INVOICE_PREFIX,
      }),
    );
    res.created += w.created;
    res.replaced += w.replaced;
    res.kept += w.kept;
    res.skipped += w.skipped;
    res.removed += w.removed;
    res.numbers.push(...w.numbers);
    return rated.filter((r) => w.written.has(r.tenantId));
  };
  // Large runs read the period's usage in one set-based pass; small ones per batch (index probes).
  const preloaded = list.length > batchSize ? await preloadUsage(ctx.db, list, input.period, plansById) : undefined;
  // Pipelined: batch i+1 is rated in JS while batch i is written by the database.
  let pending: Promise<void> = Promise.resolve();
  for (let i = 0; i < list.length; i += batchSize) {
    const batch = list.slice(i, i + batchSize);
    const rated = await rateBatch(ctx.db, batch, input.period, plansById, { lateUsageLookback: input.lateUsageLookback ?? 1, preloaded });
    res.tenantsRated += rated.length;
    if (dryRun || input.collect) res.invoices.push(...rated);
    await pending;
    const done = Math.min(i + batchSize, list.length);
    pending = (dryRun ? Promise.resolve(rated) : writeBatch(batch, rated)).then((counted) => {
      addTotals(res, counted);
      input.onProgress?.(done, list.length);
    });
    // Surface a failed write at the next await without an unhandled rejection in between.
    pending.catch(() => undefined);
  }
  await pending;
  return res;
}
