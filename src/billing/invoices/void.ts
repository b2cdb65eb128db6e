// voidInvoice: a finalized (or uncollectible) invoice is cancelled; its number stays used, content unchanged.
import type { BillingContext } from '../context.ts';
import type { Invoice } from './queries.ts';
import { transitionInvoice } from './transition.ts';

export async function voidInvoice(ctx: BillingContext, input: { invoiceId: string; reason?: string }): Promise<Invoice> {
  return transitionInvoice(ctx, input.invoiceId, 'void', { voidedAt: ctx.clock.now(), statusReason: input.reason ?? null });
}
