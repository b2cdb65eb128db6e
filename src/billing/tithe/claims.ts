// A Stripe tithe claim (tithe already transferred that a refund or chargeback made owed back) becomes, in the
// same transaction that posts it, recovery rows against the payment's own transfers: pending reversals the
// settlement job sends, and a `failed` row for whatever no transfer has left. Failed amounts are what the
// next settlement nets off; pending ones are never netted, so nothing is recovered twice.
import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { titheSettlements } from '../../db/schema/payments.ts';
import { titheRecoveries } from '../../db/schema/tithe.ts';

type Recovery = typeof titheRecoveries.$inferSelect;

/** Next key for a recovery of this payment; callers hold the payment's tithe lock. */
async function nextKey(tx: Db, paymentId: string): Promise<string> {
  const [{ n }] = await tx.select({ n: count() }).from(titheRecoveries).where(eq(titheRecoveries.paymentId, paymentId));
  return `tithe_reversal_${paymentId}_${Number(n) + 1}`;
}

/** Call under lockTithe('stripe', currency). Returns the rows written (pending first, then any failed). */
export async function trackStripeClaim(tx: Db, p: { id: string; currency: string }, claim: bigint, at: Date): Promise<Recovery[]> {
  if (claim <= 0n) return [];
  const transfers = await tx
    .select({
      id: titheSettlements.id,
      amount: titheSettlements.amount,
      taken: sql<string>`coalesce((select sum(r.amount) from tithe_recoveries r where r.settlement_id = ${titheSettlements.id} and r.status in ('pending', 'recovered')), 0)::text`,
    })
    .from(titheSettlements)
    .where(and(eq(titheSettlements.paymentId, p.id), eq(titheSettlements.method, 'stripe_transfer'), eq(titheSettlements.status, 'sent')))
    .orderBy(asc(titheSettlements.sentAt), asc(titheSettlements.id));
  const out: Recovery[] = [];
  let left = claim;
  for (const t of transfers) {
    const room = t.amount - BigInt(t.taken);
    if (room <= 0n || left <= 0n) continue;
    const amount = room < left ? room : left;
    const [row] = await tx
      .insert(titheRecoveries)
      .values({ provider: 'stripe', method: 'stripe_transfer_reversal', paymentId: p.id, settlementId: t.id, amount, currency: p.currency, idempotencyKey: await nextKey(tx, p.id), createdAt: at })
      .returning();
    out.push(row);
    left -= amount;
  }
  if (left > 0n) out.push(await unrecoverable(tx, p, left, 'no tithe transfer of this payment has that much left to reverse', at));
  return out;
}

/** Record an amount that cannot be taken back from a transfer: it stays receivable, for netting. */
export async function unrecoverable(tx: Db, p: { id: string; currency: string }, amount: bigint, why: string, at: Date, settlementId: string | null = null): Promise<Recovery> {
  const [row] = await tx
    .insert(titheRecoveries)
    .values({ provider: 'stripe', method: 'stripe_transfer_reversal', paymentId: p.id, settlementId, amount, currency: p.currency, idempotencyKey: await nextKey(tx, p.id), status: 'failed', lastError: why, createdAt: at })
    .returning();
  return row;
}

/** Stripe reversals asked for and not yet answered, per currency: not to be netted. */
export async function pendingRecoveries(tx: Db, currency: string): Promise<bigint> {
  const [{ s }] = await tx
    .select({ s: sql<string>`coalesce(sum(${titheRecoveries.amount}), 0)::text` })
    .from(titheRecoveries)
    .where(and(eq(titheRecoveries.method, 'stripe_transfer_reversal'), eq(titheRecoveries.currency, currency), inArray(titheRecoveries.status, ['pending'])));
  return BigInt(s);
}
