// Status moves after finalization (paid, void, uncollectible): checked here for a clear error, enforced by trigger.
import { eq } from 'drizzle-orm';
import { invoices } from '../../db/schema/billing.ts';
import { inTransaction } from '../../db/client.ts';
import type { BillingContext } from '../context.ts';
import { BillingError } from '../errors.ts';
import type { InvoiceStatus } from '../catalogue/types.ts';
import { lockInvoice, type Invoice } from './queries.ts';

const ALLOWED: Record<InvoiceStatus, InvoiceStatus[]> = {
  draft: ['finalized'],
  finalized: ['paid', 'void', 'uncollectible'],
  uncollectible: ['paid', 'void'],
  paid: [],
  void: [],
};

export async function transitionInvoice(
  ctx: BillingContext,
  invoiceId: string,
  to: InvoiceStatus,
  set: Partial<Pick<Invoice, 'paidAt' | 'paymentRef' | 'voidedAt' | 'uncollectibleAt' | 'statusReason'>>,
): Promise<Invoice> {
  return inTransaction(ctx.db, async (tx) => {
    const inv = await lockInvoice(tx, invoiceId);
    if (!ALLOWED[inv.status as InvoiceStatus].includes(to)) {
      throw new BillingError('InvalidTransition', `invoice ${inv.number ?? inv.id} is ${inv.status}: it cannot become ${to}`);
    }
    const [row] = await tx.update(invoices).set({ ...set, status: to, updatedAt: ctx.clock.now() }).where(eq(invoices.id, inv.id)).returning();
    return row;
  });
}
