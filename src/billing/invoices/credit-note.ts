// createCreditNote: corrects a finalized invoice with its own gapless series ('KZC-2026-000001'). The credited
// amount is gross (tax included); its tax share is the invoice's tax ratio, rounded once, half-even.
import { asc, eq, sql as dsql } from 'drizzle-orm';
import { creditNoteLines, creditNotes } from '../../db/schema/billing.ts';
import { inTransaction } from '../../db/client.ts';
import type { BillingContext } from '../context.ts';
import { BillingError } from '../errors.ts';
import { roundHalfEven } from '../decimal.ts';
import { formatMoney } from '../money.ts';
import { CREDIT_NOTE_PREFIX, reserveNumbers, seriesFor } from './numbering.ts';
import { lockInvoice, type CreditNote } from './queries.ts';

export interface CreateCreditNoteInput {
  invoiceId: string;
  /** Gross amount to credit, minor units of the invoice currency. */
  amount: bigint;
  reason: string;
  prefix?: string;
}

export async function createCreditNote(ctx: BillingContext, input: CreateCreditNoteInput): Promise<CreditNote> {
  if (input.amount <= 0n) throw new BillingError('InvalidInput', 'credit note amount must be positive (minor units)');
  if (!input.reason.trim()) throw new BillingError('InvalidInput', 'credit note needs a reason');
  return inTransaction(ctx.db, async (tx) => {
    const inv = await lockInvoice(tx, input.invoiceId);
    if (!['finalized', 'paid', 'uncollectible'].includes(inv.status)) {
      throw new BillingError('InvalidTransition', `invoice ${inv.number ?? inv.id} is ${inv.status}: only finalized, paid or uncollectible invoices take credit notes`);
    }
    const [{ credited }] = await tx
      .select({ credited: dsql<string>`coalesce(sum(${creditNotes.total}), 0)::text` })
      .from(creditNotes)
      .where(eq(creditNotes.invoiceId, inv.id));
    const left = inv.total - BigInt(credited);
    if (input.amount > left) {
      throw new BillingError('InvalidInput', `invoice ${inv.number} has ${formatMoney({ amount: left, currency: inv.currency })} left to credit, asked for ${formatMoney({ amount: input.amount, currency: inv.currency })}`);
    }
    const tax = inv.total === 0n ? 0n : roundHalfEven(input.amount * inv.tax, inv.total);
    const now = ctx.clock.now();
    const series = seriesFor(input.prefix ?? CREDIT_NOTE_PREFIX, now);
    const [number] = await reserveNumbers(tx, series, 1);
    const [note] = await tx
      .insert(creditNotes)
      .values({ invoiceId: inv.id, series, number, currency: inv.currency, subtotal: input.amount - tax, tax, total: input.amount, reason: input.reason, issuedAt: now, createdAt: now })
      .returning();
    await tx.insert(creditNoteLines).values({ creditNoteId: note.id, description: `Credit for invoice ${inv.number}: ${input.reason}`, amount: input.amount - tax });
    return note;
  });
}

export async function listCreditNotes(ctx: BillingContext, invoiceId: string): Promise<CreditNote[]> {
  return ctx.db.select().from(creditNotes).where(eq(creditNotes.invoiceId, invoiceId)).orderBy(asc(creditNotes.issuedAt));
}
