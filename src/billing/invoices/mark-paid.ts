// markPaid: called by payments when a charge for the invoice is captured (finalized/uncollectible → paid).
import type { BillingContext } from '../context.ts';
import type { Invoice } from './queries.ts';
import { transitionInvoice } from './transition.ts';

export async function markPaid(ctx: BillingContext, input: { invoiceId: string; paidAt?: Date; paymentRef?: string }): Promise<Invoice> {
  return transitionInvoice(ctx, input.invoiceId, 'paid', { paidAt: input.paidAt ?? ctx.clock.now(), paymentRef: input.paymentRef ?? null });
}
