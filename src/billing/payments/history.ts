// An invoice's payment history for its owner: every attempt with its outcome, refunds and disputes; and the
// tenant's collection (dunning) log.
// Callers check the invoice belongs to the caller first (portal: getInvoiceForActor).
import { and, asc, desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { dunningEvents, payments } from '../../db/schema/payments.ts';

export interface PaymentHistoryEntry {
  attempt: number;
  provider: string;
  /** checkout | off_session (autopay) */
  method: string;
  status: string;
  amount: bigint;
  refundedAmount: bigint;
  disputedAmount: bigint;
  currency: string;
  failureReason: string | null;
  createdAt: Date;
  capturedAt: Date | null;
}

export async function invoicePaymentHistory(db: Db, invoiceId: string): Promise<PaymentHistoryEntry[]> {
  return db
    .select({
      attempt: payments.attempt,
      provider: payments.provider,
      method: payments.method,
      status: payments.status,
      amount: payments.amount,
      refundedAmount: payments.refundedAmount,
      disputedAmount: payments.disputedAmount,
      currency: payments.currency,
      failureReason: payments.failureReason,
      createdAt: payments.createdAt,
      capturedAt: payments.capturedAt,
    })
    .from(payments)
    .where(eq(payments.invoiceId, invoiceId))
    .orderBy(asc(payments.createdAt), asc(payments.attempt));
}

export interface CollectionEvent {
  at: Date;
  invoiceId: string | null;
  /** past_due | retry_failed | retry_succeeded | suspended | resumed | paid | notice */
  kind: string;
  message: string;
}

/**
 * The dunning log a tenant sees: reminders, retries, suspension and resumption, autopay notices. With an
 * invoice, that invoice's steps; without, the tenant's latest steps (including tenant-wide ones).
 */
export async function collectionLog(db: Db, q: { tenantId: string; invoiceId?: string; limit?: number }): Promise<CollectionEvent[]> {
  const where = q.invoiceId
    ? and(eq(dunningEvents.tenantId, q.tenantId), eq(dunningEvents.invoiceId, q.invoiceId))
    : eq(dunningEvents.tenantId, q.tenantId);
  return db
    .select({ at: dunningEvents.at, invoiceId: dunningEvents.invoiceId, kind: dunningEvents.kind, message: dunningEvents.message })
    .from(dunningEvents)
    .where(where)
    .orderBy(desc(dunningEvents.at), desc(dunningEvents.id))
    .limit(q.limit ?? 50);
}
