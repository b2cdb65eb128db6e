// Invoices a caller may see: tenants see their own, and never drafts (those are the operator's work in
// progress); operators see all. Refusals are NotFound so invoice ids do not leak.
import type { AppContext } from '../../context.ts';
import { getInvoice, listInvoices, type Invoice, type InvoiceWithLines } from '../../billing/index.ts';
import type { Actor } from '../../auth/actor.ts';
import { AuthError } from '../../auth/errors.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function listInvoicesForActor(ctx: AppContext, actor: Actor): Promise<Invoice[]> {
  if (actor.role === 'operator') return listInvoices(ctx, {});
  if (!actor.tenantId) return [];
  return (await listInvoices(ctx, { tenantId: actor.tenantId })).filter((i) => i.status !== 'draft');
}

export async function getInvoiceForActor(ctx: AppContext, actor: Actor, id: string): Promise<InvoiceWithLines> {
  if (!UUID_RE.test(id)) throw new AuthError('NotFound', 'invoice not found');
  let inv: InvoiceWithLines;
  try {
    inv = await getInvoice(ctx, id);
  } catch (err) {
    if ((err as { code?: string }).code === 'NotFound') throw new AuthError('NotFound', 'invoice not found');
    throw err;
  }
  if (actor.role !== 'operator' && (inv.tenantId !== actor.tenantId || inv.status === 'draft')) throw new AuthError('NotFound', 'invoice not found');
  // A token limited to one VM has no business with invoices.
  if (actor.vmUuid) throw new AuthError('NotFound', 'invoice not found');
  return inv;
}
