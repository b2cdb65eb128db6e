// createDraft: rate one tenant's period and write (or replace) its draft invoice; returns it with lines.
import type { BillingContext } from '../context.ts';
import { BillingError } from '../errors.ts';
import { getTenant } from '../catalogue/tenants.ts';
import { runInvoicePeriod } from './run-period.ts';
import { getInvoiceForTenant, type InvoiceWithLines } from './queries.ts';

export async function createDraft(ctx: BillingContext, input: { tenantId: string; period: string }): Promise<InvoiceWithLines> {
  const tenant = await getTenant(ctx, input.tenantId);
  await runInvoicePeriod(ctx, { period: input.period, tenantId: tenant.id, finalize: false });
  const inv = await getInvoiceForTenant(ctx, tenant.id, input.period);
  if (!inv) throw new BillingError('NotFound', `tenant ${tenant.company} has nothing to bill for ${input.period} (no VM assigned in the period)`);
  return inv;
}
