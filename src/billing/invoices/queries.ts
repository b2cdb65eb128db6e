// Reading invoices: getInvoice (with lines), getInvoiceByNumber, listInvoices. Amounts come back as bigint.
import { and, asc, desc, eq, type SQL } from 'drizzle-orm';
import { creditNotes, invoiceLines, invoices } from '../../db/schema/billing.ts';
import type { Db } from '../../db/client.ts';
import type { BillingContext } from '../context.ts';
import { BillingError } from '../errors.ts';
import type { InvoiceStatus } from '../catalogue/types.ts';

export type Invoice = typeof invoices.$inferSelect;
export type InvoiceLine = typeof invoiceLines.$inferSelect;
export type CreditNote = typeof creditNotes.$inferSelect;
export interface InvoiceWithLines extends Invoice {
  lines: InvoiceLine[];
  creditNotes: CreditNote[];
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function lockInvoice(db: Db, invoiceId: string): Promise<Invoice> {
  if (!UUID_RE.test(invoiceId)) throw new BillingError('NotFound', `invoice "${invoiceId}" not found (ids are UUIDs)`);
  const [row] = await db.select().from(invoices).where(eq(invoices.id, invoiceId)).for('update');
  if (!row) throw new BillingError('NotFound', `invoice ${invoiceId} not found`);
  return row;
}

async function withLines(ctx: BillingContext, inv: Invoice): Promise<InvoiceWithLines> {
  const lines = await ctx.db.select().from(invoiceLines).where(eq(invoiceLines.invoiceId, inv.id)).orderBy(asc(invoiceLines.position));
  const notes = await ctx.db.select().from(creditNotes).where(eq(creditNotes.invoiceId, inv.id)).orderBy(asc(creditNotes.issuedAt));
  return { ...inv, lines, creditNotes: notes };
}

export async function getInvoice(ctx: BillingContext, invoiceId: string): Promise<InvoiceWithLines> {
  if (!UUID_RE.test(invoiceId)) throw new BillingError('NotFound', `invoice "${invoiceId}" not found (ids are UUIDs)`);
  const [row] = await ctx.db.select().from(invoices).where(eq(invoices.id, invoiceId));
  if (!row) throw new BillingError('NotFound', `invoice ${invoiceId} not found`);
  return withLines(ctx, row);
}

export async function getInvoiceByNumber(ctx: BillingContext, number: string): Promise<InvoiceWithLines> {
  const [row] = await ctx.db.select().from(invoices).where(eq(invoices.number, number));
  if (!row) throw new BillingError('NotFound', `invoice ${number} not found (kamikazi invoice list)`);
  return withLines(ctx, row);
}

export async function getInvoiceForTenant(ctx: BillingContext, tenantId: string, period: string): Promise<InvoiceWithLines | null> {
  const [row] = await ctx.db.select().from(invoices).where(and(eq(invoices.tenantId, tenantId), eq(invoices.period, period)));
  return row ? withLines(ctx, row) : null;
}

export async function listInvoices(ctx: BillingContext, filter: { tenantId?: string; period?: string; status?: InvoiceStatus } = {}): Promise<Invoice[]> {
  const conds: SQL[] = [];
  if (filter.tenantId) conds.push(eq(invoices.tenantId, filter.tenantId));
  if (filter.period) conds.push(eq(invoices.period, filter.period));
  if (filter.status) conds.push(eq(invoices.status, filter.status));
  return ctx.db
    .select()
    .from(invoices)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(invoices.periodStart), asc(invoices.number), asc(invoices.tenantId));
}
