// Plan verbs: createPlan, listPlans, getPlan. Plans are immutable once created (finalized invoices and late-usage
// re-rating rely on the prices they were billed with); publish a new plan to change prices.
import { z } from 'zod';
import { asc, eq } from 'drizzle-orm';
import { plans } from '../../db/schema/billing.ts';
import type { BillingContext } from '../context.ts';
import { BillingError } from '../errors.ts';
import { isCurrency } from '../money.ts';
import { BandwidthSchema, NETWORK_COMPONENTS, PlanComponentSchema } from './types.ts';
import { parseInput } from './validate.ts';

export type Plan = typeof plans.$inferSelect;

const minor = z.union([z.bigint(), z.string().regex(/^\d+$/).transform((s) => BigInt(s))]).refine((v) => v >= 0n, 'must be ≥ 0');

export const NewPlanSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    currency: z.string().refine(isCurrency, 'must be a supported ISO 4217 code (see CURRENCY_EXPONENTS)'),
    /** Monthly base price per VM in minor units. */
    basePrice: minor,
    components: z.array(PlanComponentSchema).default([]),
    bandwidth: BandwidthSchema.default({ model: 'volume' }),
    monthlyCap: minor.nullable().default(null),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    for (const c of p.components) {
      if (seen.has(c.component)) ctx.addIssue({ code: 'custom', path: ['components'], message: `${c.component} listed twice` });
      seen.add(c.component);
      if (p.bandwidth.model === 'p95' && NETWORK_COMPONENTS.includes(c.component)) {
        ctx.addIssue({ code: 'custom', path: ['components'], message: `${c.component}: a p95 plan bills bandwidth by percentile, drop volume network components` });
      }
    }
  });
export type NewPlan = z.input<typeof NewPlanSchema>;

export async function createPlan(ctx: BillingContext, input: NewPlan): Promise<Plan> {
  const v = parseInput(NewPlanSchema, input, 'plan');
  const existing = await ctx.db.select({ id: plans.id }).from(plans).where(eq(plans.name, v.name));
  if (existing.length > 0) throw new BillingError('Conflict', `plan "${v.name}" already exists: choose another name`);
  const [row] = await ctx.db.insert(plans).values({ ...v, createdAt: ctx.clock.now() }).returning();
  return row;
}

export async function listPlans(ctx: BillingContext, filter: { currency?: string } = {}): Promise<Plan[]> {
  const q = ctx.db.select().from(plans);
  const filtered = filter.currency ? q.where(eq(plans.currency, filter.currency)) : q;
  return filtered.orderBy(asc(plans.name));
}

/** By id or by name. */
export async function getPlan(ctx: BillingContext, idOrName: string): Promise<Plan> {
  const isId = z.string().uuid().safeParse(idOrName).success;
  const [row] = await ctx.db.select().from(plans).where(isId ? eq(plans.id, idOrName) : eq(plans.name, idOrName));
  if (!row) throw new BillingError('NotFound', `plan "${idOrName}" not found (kamikazi plans list)`);
  return row;
}
