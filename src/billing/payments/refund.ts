// refundPayment: give money back (all or part). The reversal row (and its key `refund_<paymentId>_<n>`) is
// reserved before the provider call, so a double click or a retry sends the same key and refunds once.
// A PayPal capture whose tithe went out as a platform fee also asks for that fee back, in proportion.
import { and, count, eq, sql } from 'drizzle-orm';
import { inTransaction } from '../../db/client.ts';
import { paymentReversals, payments } from '../../db/schema/payments.ts';
import { titheRecoveries } from '../../db/schema/tithe.ts';
import { PaymentError, type PaymentsDeps } from './deps.ts';
import { TitheFeeRefused, type ProviderName, type RefundResult } from './provider.ts';
import { confirmOwnRefund, lockPayment } from './record.ts';
import { reserveFeeReturn } from './refund-fee.ts';

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
    if (row) await reserveFeeReturn(d, tx, p, row, BigInt(inflight));
    return { payment: p, reversal: r };
  });
  const { payment: p, reversal: r } = reserved;
  if (r.status === 'applied' && r.providerRef) return { reversalId: r.id, providerRef: r.providerRef, amount: r.amount };
  const res = await callRefund(d, p.provider as ProviderName, p.providerChargeId!, r);
  if (res.status === 'failed') {
    await d.db.update(paymentReversals).set({ status: 'failed', providerRef: res.refundId }).where(eq(paymentReversals.id, r.id));
    await cancelFeeReturn(d, r.id, 'the refund failed');
    throw new PaymentError('NotPayable', `provider refused refund ${res.refundId}`);
  }
  await inTransaction(d.db, async (tx) => {
    const locked = await lockPayment(tx, eq(payments.id, p.id));
    await confirmOwnRefund(d, tx, locked!, r.id, res.refundId);
  });
  return { reversalId: r.id, providerRef: res.refundId, amount: r.amount };
}

/**
 * The provider call, with the platform fee reserved for this refund if any. When PayPal refuses the fee
 * (not enabled for the account, or more than is left), the customer is refunded anyway, under a key of its
 * own (`…_nofee`); the tithe then stays a receivable from upstream, netted off a later settlement.
 */
async function callRefund(d: PaymentsDeps, provider: ProviderName, chargeId: string, r: { id: string; amount: bigint; currency: string; idempotencyKey: string }): Promise<RefundResult> {
  const fees = await d.db.select().from(titheRecoveries).where(eq(titheRecoveries.reversalId, r.id));
  const fee = fees.find((f) => f.status === 'pending');
  const impl = d.providers.get(provider);
  const base = { providerChargeId: chargeId, amount: r.amount, currency: r.currency };
  if (!fee) return impl.refund({ ...base, idempotencyKey: fees.some((f) => f.status === 'canceled') ? `${r.idempotencyKey}_nofee` : r.idempotencyKey });
  try {
    const res = await impl.refund({ ...base, idempotencyKey: r.idempotencyKey, titheFee: fee.amount });
    if (res.titheReturned !== undefined && res.titheReturned !== fee.amount) {
      d.log.warn({ reversalId: r.id, asked: String(fee.amount), returned: String(res.titheReturned) }, 'refund: the provider reports a different platform fee returned than asked');
    }
    return res;
  } catch (err) {
    if (!(err instanceof TitheFeeRefused)) throw err;
    await cancelFeeReturn(d, r.id, err.message);
    return impl.refund({ ...base, idempotencyKey: `${r.idempotencyKey}_nofee` });
  }
}

async function cancelFeeReturn(d: PaymentsDeps, reversalId: string, why: string): Promise<void> {
  const done = await d.db
    .update(titheRecoveries)
    .set({ status: 'canceled', lastError: why.slice(0, 500) })
    .where(and(eq(titheRecoveries.reversalId, reversalId), eq(titheRecoveries.status, 'pending')))
    .returning({ id: titheRecoveries.id });
  if (done.length) d.log.warn({ reversalId, why }, 'refund goes without the platform fee: the tithe stays owed back by upstream');
}
