// The platform fee a PayPal refund takes back from the tithe payee. PayPal routes the tithe at capture as a
// platform fee; a refund may include `payment_instruction.platform_fees` to have the payee contribute that
// much to it (at most what is left of the capture's fee). We ask for the refund's proportional tithe, as
// far as it was already sent, and reserve the amount with the refund row, before the call.
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { paymentReversals, titheSettlements } from '../../db/schema/payments.ts';
import { titheRecoveries } from '../../db/schema/tithe.ts';
import { titheReversal } from '../ledger/split.ts';
import { splitAgainstPayable, unsettledTithe } from '../ledger/tithe-position.ts';
import type { PaymentsDeps } from './deps.ts';
import type { Payment } from './record.ts';

type Reversal = typeof paymentReversals.$inferSelect;

/** In the reservation transaction (payment row locked); `inflight`: other refunds asked, not yet applied. */
export async function reserveFeeReturn(d: Pick<PaymentsDeps, 'clock'>, tx: Db, p: Payment, r: Reversal, inflight: bigint): Promise<void> {
  if (p.provider !== 'paypal' || p.titheAmount === null || p.titheAmount <= 0n) return;
  const [fee] = await tx
    .select()
    .from(titheSettlements)
    .where(and(eq(titheSettlements.paymentId, p.id), eq(titheSettlements.method, 'paypal_platform_fee'), eq(titheSettlements.status, 'sent')));
  if (!fee) return;
  const [{ back }] = await tx
    .select({ back: sql<string>`coalesce(sum(${titheRecoveries.amount}), 0)::text` })
    .from(titheRecoveries)
    .where(and(eq(titheRecoveries.paymentId, p.id), eq(titheRecoveries.method, 'paypal_fee_refund'), inArray(titheRecoveries.status, ['pending', 'recovered'])));
  const feeLeft = fee.amount - BigInt(back);
  if (feeLeft <= 0n) return;
  // The same arithmetic the reversal will post, on what will have been reversed by then.
  const titheBack = titheReversal({ paid: p.amount, tithe: p.titheAmount, reversedBefore: p.refundedAmount + p.disputedAmount + inflight, amount: r.amount });
  const { claim } = splitAgainstPayable(titheBack, await unsettledTithe(tx, p));
  const amount = claim < feeLeft ? claim : feeLeft;
  if (amount <= 0n) return;
  await tx
    .insert(titheRecoveries)
    .values({
      provider: 'paypal',
      method: 'paypal_fee_refund',
      paymentId: p.id,
      settlementId: fee.id,
      reversalId: r.id,
      amount,
      currency: p.currency,
      idempotencyKey: `tithe_fee_refund_${r.id}`,
      createdAt: d.clock.now(),
    })
    .onConflictDoNothing();
}
