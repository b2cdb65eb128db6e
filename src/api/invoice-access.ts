// Invoices as a caller may see them: operators every invoice; tenant users their own tenant's invoices once
// issued (a draft is still being rated and may change, so to a tenant it does not exist yet).
// Not API-specific: the portal's invoice pages should call these too (candidates for a shared module).
import type { BillingContext } from '../billing/context.ts';
import { getInvoice, listInvoices, type Invoice, type InvoiceWithLines } from '../billing/invoices/queries.ts';
import type { InvoiceStatus } from '../billing/catalogue/types.ts';
import { isOperator, type Actor } from '../auth/actor.ts';
import { AuthError } from '../auth/errors.ts';
import { BillingError } from '../billing/errors.ts';

const visibleTo = (actor: Actor, inv: Invoice): boolean =>
  isOperator(actor) || (!!actor.tenantId && inv.tenantId === actor.tenantId && inv.status !== 'draft');

export async function listInvoicesForActor(ctx: BillingContext, actor: Actor, filter: { status?: InvoiceStatus; period?: string } = {}): Promise<Invoice[]> {
  if (!isOperator(actor) && !actor.tenantId) return [];
  if (!isOperator(actor) && filter.status === 'draft') return [];
  const list = await listInvoices(ctx, { ...filter, tenantId: isOperator(actor) ? undefined : (actor.tenantId ?? undefined) });
  return list.filter((i) => visibleTo(actor, i));
}

/** The invoice if the caller may see it; the same NotFound for a missing id, another tenant's or a draft. */
export async function getInvoiceForActor(ctx: BillingContext, actor: Actor, invoiceId: string): Promise<InvoiceWithLines> {
  let inv: InvoiceWithLines;
  try {
    inv = await getInvoice(ctx, invoiceId);
  } catch (err) {
    if (err instanceof BillingError && err.code === 'NotFound') throw new AuthError('NotFound', 'invoice not found');
    throw err;
  }
  if (!visibleTo(actor, inv)) throw new AuthError('NotFound', 'invoice not found');
  return inv;
}
