// finalizeInvoice: draft → finalized with the next gapless number of the year's series, in one transaction.
import { inTransaction } from '../../db/client.ts';
import type { BillingContext } from '../context.ts';
import { BillingError } from '../errors.ts';
import { INVOICE_PREFIX } from './numbering.ts';
import { lockInvoice, type Invoice } from './queries.ts';
import { finalizeMany } from './write.ts';

export async function finalizeInvoice(ctx: BillingContext, input: { invoiceId: string; dueDays?: number; prefix?: string }): Promise<Invoice> {
  return inTransaction(ctx.db, async (tx) => {
    const inv = await lockInvoice(tx, input.invoiceId);
    if (inv.status !== 'draft') throw new BillingError('InvoiceNotDraft', `invoice ${inv.number} is already ${inv.status}`);
    await finalizeMany(tx, [inv.id], { now: ctx.clock.now(), dueDays: input.dueDays ?? 14, prefix: input.prefix ?? INVOICE_PREFIX });
    return lockInvoice(tx, inv.id);
  });
}
