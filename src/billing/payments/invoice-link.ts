// What payments read of an invoice before charging: the amount, its tenant and the tenant's provider.
// Marking it paid is the billing core's markPaid (see record.ts).
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { invoices, tenants } from '../../db/schema/billing.ts';
import { PaymentError } from './deps.ts';

export interface PayableInvoice {
  id: string;
  tenantId: string;
  number: string | null;
  status: string;
  total: bigint;
  currency: string;
  dueAt: Date | null;
  tenantName: string;
  tenantEmail: string;
  tenantProvider: string;
}

export async function loadInvoice(db: Db, invoiceId: string): Promise<PayableInvoice> {
  const [r] = await db
    .select({
      id: invoices.id,
      tenantId: invoices.tenantId,
      number: invoices.number,
      status: invoices.status,
      total: invoices.total,
      currency: invoices.currency,
      dueAt: invoices.dueAt,
      tenantName: tenants.company,
      tenantEmail: tenants.billingEmail,
      tenantProvider: tenants.paymentProvider,
    })
    .from(invoices)
    .innerJoin(tenants, eq(tenants.id, invoices.tenantId))
    .where(eq(invoices.id, invoiceId));
  if (!r) throw new PaymentError('NotFound', `invoice ${invoiceId} not found`);
  return r;
}

export function assertPayable(inv: PayableInvoice): void {
  if (inv.status !== 'finalized' && inv.status !== 'uncollectible') {
    throw new PaymentError('NotPayable', `invoice ${inv.number ?? inv.id} is ${inv.status}: only finalized or uncollectible invoices can be paid`);
  }
  if (inv.total <= 0n) throw new PaymentError('NotPayable', `invoice ${inv.number ?? inv.id} has nothing to pay (total ${inv.total})`);
}
