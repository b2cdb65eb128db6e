// refundPayment: give money back (all or part). The reversal row (and its key `refund_<paymentId>_<n>`) is
// reserved before the provider call, so a double click or a retry sends the same key and refunds once.
import { and, count, eq, sql } from 'drizzle-orm';
import { inTransaction } from '../../db/client.ts';
import { paymentReversals, payments } from '../../db/schema/payments.ts';
import { PaymentError, type PaymentsDeps } from './deps.ts';
import type { ProviderName } from './provider.ts';
import { confirmOwnRefund, lockPayment } from './record.ts';

export async function refundPayment(
  d: PaymentsDeps,
  input: { paymentId: string; amount?: bigint; requestKey?: string },
): Promise<{ reversalId: string; providerRef: string; amount: bigint }> {
  const reserved = await inTransaction(d.db, async (tx) => {
    const p = await lockPayment(tx, eq(payments.id, input.paymentId));
    if (!p) throw new PaymentError('NotFound', `payment ${input.paymentId} not found`);
    if (p.status !== 'succeeded' || !p.providerChargeId) throw new PaymentError('NotPayable', `payment ${p.id} is ${p.status}: only captured payments can be refunded`);
    const [{ inflight }] = await tx
      .select({ inflight: sql<string>`coalesce(sum(${paymentReversals.amount}), 0)::text` })
      .from(paymentReversals)
      .where(and(eq(paymentReversals.paymentId, p.id), eq(paymentReversals.status, 'pending')));
    const left = p.amount - p.refundedAmount - p.disputedAmount - BigInt(inflight);
    const amount = input.amount ?? left;
    if (amount <= 0n || amount > left) throw new PaymentError('InvalidAmount', `refund of ${amount} exceeds what is left on payment ${p.id} (${left} ${p.currency})`);
    // The n-th refund of this payment: a double click computes the same n and lands on the same row.
    const [{ n }] = await tx.select({ n: count() }).from(paymentReversals).where(and(eq(paymentReversals.paymentId, p.id), eq(paymentReversals.kind, 'refund')));
    const key = input.requestKey ? `refund_${p.id}_${input.requestKey}` : `refund_${p.id}_${Number(n) + 1}`;
    const [row] = await tx
      .insert(paymentReversals)
      .values({ paymentId: p.id, kind: 'refund', amount, currency: p.currency, status: 'pending', idempotencyKey: key, createdAt: d.clock.now() })
      .onConflictDoNothing()
      .returning();
    const r = row ?? (await tx.select().from(paymentReversals).where(eq(paymentReversals.idempotencyKey, key)))[0];
    return { payment: p, reversal: r };
  });
  const { payment: p, reversal: r } = reserved;
  if (r.status === 'applied' && r.providerRef) return { reversalId: r.id, providerRef: r.providerRef, amount: r.amount };
  const res = await d.providers.get(p.provider as ProviderName).refund({
    providerChargeId: p.providerChargeId!,
    amount: r.amount,
    currency: r.currency,
    idempotencyKey: r.idempotencyKey,
  });
  if (res.status === 'failed') {
    await d.db.update(paymentReversals).set({ status: 'failed', providerRef: res.refundId }).where(eq(paymentReversals.id, r.id));
    throw new PaymentError('NotPayable', `provider refused refund ${res.refundId}`);
  }
  await inTransaction(d.db, async (tx) => {
    const locked = await lockPayment(tx, eq(payments.id, p.id));
    await confirmOwnRefund(d, tx, locked!, r.id, res.refundId);
  });
  return { reversalId: r.id, providerRef: res.refundId, amount: r.amount };
}
