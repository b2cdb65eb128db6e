// Send the pending Stripe transfer reversals (rows written when the claim was posted, see claims.ts), each
// with its own key, so a crash or a lost answer re-sends the same reversal. A reversal Stripe refuses
// (transfer already fully reversed, the connected account's balance short, …) becomes `failed`: its amount
// stays receivable from upstream and the next settlement nets it off. Errors worth retrying stay pending.
import { and, eq } from 'drizzle-orm';
import { inTransaction } from '../../db/client.ts';
import { titheSettlements } from '../../db/schema/payments.ts';
import { titheRecoveries } from '../../db/schema/tithe.ts';
import { postTitheRecovery } from '../ledger/payment-entries.ts';
import { lockTithe } from '../ledger/tithe-position.ts';
import type { PaymentsDeps } from '../payments/deps.ts';
import { PaymentProviderError } from '../payments/provider.ts';
import { unrecoverable } from './claims.ts';

export interface RecoveryReport {
  recovered: number;
  /** Refused for good: left receivable, to be netted. */
  unrecoverable: number;
  /** Failed for now: retried on the next run. */
  retrying: number;
}

export async function sendRecoveries(d: PaymentsDeps): Promise<RecoveryReport> {
  const report: RecoveryReport = { recovered: 0, unrecoverable: 0, retrying: 0 };
  if (!d.providers.has('stripe')) return report;
  const impl = d.providers.get('stripe');
  const pending = await d.db
    .select({ r: titheRecoveries, transferRef: titheSettlements.providerRef })
    .from(titheRecoveries)
    .leftJoin(titheSettlements, eq(titheSettlements.id, titheRecoveries.settlementId))
    .where(and(eq(titheRecoveries.method, 'stripe_transfer_reversal'), eq(titheRecoveries.status, 'pending')));
  for (const { r, transferRef } of pending) {
    try {
      if (!impl.recoverTithe || !transferRef) throw new PaymentProviderError(`no transfer to reverse for recovery ${r.id}`, false);
      const res = await impl.recoverTithe({ transferRef, amount: r.amount, currency: r.currency, idempotencyKey: r.idempotencyKey });
      await inTransaction(d.db, async (tx) => {
        const at = d.clock.now();
        await lockTithe(tx, 'stripe', r.currency);
        const done = await tx
          .update(titheRecoveries)
          .set({ status: 'recovered', amount: res.amount < r.amount ? res.amount : r.amount, providerRef: res.providerRef, attempts: r.attempts + 1, lastError: null, recoveredAt: at })
          .where(and(eq(titheRecoveries.id, r.id), eq(titheRecoveries.status, 'pending')))
          .returning({ id: titheRecoveries.id });
        if (!done.length) return;
        // Recorded as what Stripe really reversed (it gives what is asked; more than asked is owed back upstream).
        await postTitheRecovery(tx, { recoveryId: r.id, provider: 'stripe', paymentId: r.paymentId, amount: res.amount, toReceivable: res.amount < r.amount ? res.amount : r.amount, currency: r.currency, at, providerRef: res.providerRef });
        // Stripe reverses exactly what is asked; should it ever give less, the rest is tracked as unrecoverable.
        if (res.amount < r.amount) await unrecoverable(tx, { id: r.paymentId, currency: r.currency }, r.amount - res.amount, `reversal ${res.providerRef} gave back ${res.amount} of ${r.amount}`, at, r.settlementId);
      });
      report.recovered += 1;
      d.log.info({ recovery: r.id, paymentId: r.paymentId, amount: String(res.amount), currency: r.currency, ref: res.providerRef }, 'tithe recovered from upstream');
    } catch (err) {
      const retryable = !(err instanceof PaymentProviderError) || err.retryable;
      await d.db
        .update(titheRecoveries)
        .set({ attempts: r.attempts + 1, lastError: err instanceof Error ? err.message.slice(0, 500) : String(err), status: retryable ? 'pending' : 'failed' })
        .where(and(eq(titheRecoveries.id, r.id), eq(titheRecoveries.status, 'pending')));
      if (retryable) report.retrying += 1;
      else report.unrecoverable += 1;
      d.log.warn({ recovery: r.id, paymentId: r.paymentId, err }, retryable ? 'tithe recovery failed; will retry' : 'tithe recovery refused: the amount stays owed by upstream and is netted off the next settlement');
    }
  }
  return report;
}
