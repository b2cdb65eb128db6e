// Tenant verbs: createTenant, listTenants, getTenant. A tenant is billed in one currency with one tax setting.
import { z } from 'zod';
import { asc, eq } from 'drizzle-orm';
import { tenants } from '../../db/schema/billing.ts';
import type { BillingContext } from '../context.ts';
import { BillingError } from '../errors.ts';
import { Decimal } from '../decimal.ts';
import { isCurrency } from '../money.ts';
import { decimalString, PAYMENT_PROVIDERS, TENANT_STATUSES } from './types.ts';
import { parseInput } from './validate.ts';

export type Tenant = typeof tenants.$inferSelect;

export const NewTenantSchema = z.object({
  company: z.string().trim().min(1).max(200),
  billingEmail: z.string().trim().email(),
  currency: z.string().refine(isCurrency, 'must be a supported ISO 4217 code (see CURRENCY_EXPONENTS)'),
  billingAddress: z.string().max(1000).default(''),
  taxRatePercent: decimalString
    .refine((s) => !Decimal.parse(s).isNegative() && Decimal.parse(s).cmp('100') < 0, 'must be in [0, 100)')
    .refine((s) => Decimal.parse(s).scale <= 4, 'at most 4 decimal places')
    .default('0'),
  pricesIncludeTax: z.boolean().default(false),
  paymentProvider: z.enum(PAYMENT_PROVIDERS).default('manual'),
  providerCustomerRef: z.string().min(1).max(200).nullable().default(null),
  billingDay: z.number().int().min(1).max(28).default(1),
  timezone: z
    .string()
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA timezone such as Europe/Berlin')
    .default('UTC'),
  status: z.enum(TENANT_STATUSES).default('active'),
});
export type NewTenant = z.input<typeof NewTenantSchema>;

export async function createTenant(ctx: BillingContext, input: NewTenant): Promise<Tenant> {
  const v = parseInput(NewTenantSchema, input, 'tenant');
  const [row] = await ctx.db
    .insert(tenants)
    .values({ ...v, taxRatePercent: Decimal.parse(v.taxRatePercent).toString(), createdAt: ctx.clock.now() })
    .returning();
  return row;
}

export async function listTenants(ctx: BillingContext, filter: { status?: Tenant['status'] } = {}): Promise<Tenant[]> {
  const q = ctx.db.select().from(tenants);
  const filtered = filter.status ? q.where(eq(tenants.status, filter.status)) : q;
  return filtered.orderBy(asc(tenants.company), asc(tenants.id));
}

export async function getTenant(ctx: BillingContext, id: string): Promise<Tenant> {
  if (!z.string().uuid().safeParse(id).success) throw new BillingError('NotFound', `tenant "${id}" not found (ids are UUIDs)`);
  const [row] = await ctx.db.select().from(tenants).where(eq(tenants.id, id));
  if (!row) throw new BillingError('NotFound', `tenant ${id} not found`);
  return row;
}
