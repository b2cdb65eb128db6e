// An invoice's payment history for its owner: every attempt with its outcome, refunds and disputes.
// Callers check the invoice belongs to the caller first (portal: getInvoiceForActor).
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { payments } from '../../db/schema/payments.ts';

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
