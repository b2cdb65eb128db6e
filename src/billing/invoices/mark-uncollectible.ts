// markUncollectible: dunning gave up; the invoice may still be paid or voided later.
import type { BillingContext } from '../context.ts';
import type { Invoice } from './queries.ts';
import { transitionInvoice } from './transition.ts';

export async function markUncollectible(ctx: BillingContext, input: { invoiceId: string; reason?: string }): Promise<Invoice> {
  return transitionInvoice(ctx, input.invoiceId, 'uncollectible', { uncollectibleAt: ctx.clock.now(), statusReason: input.reason ?? null });
}
