// settleTithes: forward the tithe payable and take back what refunds made owed. In order: send the pending
// Stripe transfer reversals (recover.ts), queue what is payable net of what upstream owes back (queue.ts),
// then send the queued settlements. Stripe: one Connect transfer per payment, funded from its charge
// (source_transaction) with key `tithe_<paymentId>`. PayPal (payouts mode): one payout per currency per day,
// sender_batch_id = our key. Rows are written before the call, so a crash or a second replica re-sends the
// same key; each sent settlement posts its own ledger entry. Failed calls stay pending and are retried.
import { and, eq, inArray, sql } from 'drizzle-orm';
import { inTransaction, rows } from '../../db/client.ts';
import { titheSettlements } from '../../db/schema/payments.ts';
import { postTitheSettlement } from '../ledger/payment-entries.ts';
import { lockTithe, paymentPayable, providerPayable, splitAgainstPayable } from '../ledger/tithe-position.ts';
import type { PaymentsDeps } from '../payments/deps.ts';
import { PaymentProviderError, type ProviderName } from '../payments/provider.ts';
import { trackStripeClaim } from './claims.ts';
import { queuePayPal, queueStripe } from './queue.ts';
import { sendRecoveries } from './recover.ts';

export interface SettleReport {
  created: number;
  sent: number;
  failed: number;
  /** Netting entries posted (tithe owed back offset against tithe owed). */
  netted: number;
  /** Transfer reversals that brought tithe back / were refused for good (left receivable, netted later). */
  recovered: number;
  unrecoverable: number;
}

export async function settleTithes(d: PaymentsDeps): Promise<SettleReport> {
  const recovery = await sendRecoveries(d);
  const report: SettleReport = { created: 0, sent: 0, failed: 0, netted: 0, recovered: recovery.recovered, unrecoverable: recovery.unrecoverable };
  if (d.providers.has('stripe') && d.payments.titheStripeAccount) await queueStripe(d, report);
  if (d.providers.has('paypal') && d.payments.tithePaypalPayee && d.payments.paypal?.titheMode === 'payouts') await queuePayPal(d, report);
  const pending = await d.db.select().from(titheSettlements).where(eq(titheSettlements.status, 'pending'));
  for (const s of pending) {
    const provider = s.provider as ProviderName;
    if (!d.providers.has(provider)) continue;
    try {
      const charge = s.paymentId
        ? (await rows<{ c: string | null }>(d.db, sql`select provider_charge_id as c from payments where id = ${s.paymentId}::uuid`))[0]?.c
        : null;
      const res = await d.providers.get(provider).settleTithe({ amount: s.amount, currency: s.currency, idempotencyKey: s.idempotencyKey, sourceChargeId: charge, group: s.paymentId ? `tithe_${s.paymentId}` : s.idempotencyKey });
      await inTransaction(d.db, async (tx) => {
        const at = d.clock.now();
        await lockTithe(tx, provider, s.currency);
        const done = await tx
          .update(titheSettlements)
          .set({ status: 'sent', providerRef: res.providerRef, sentAt: at, attempts: s.attempts + 1, lastError: null })
          .where(and(eq(titheSettlements.id, s.id), eq(titheSettlements.status, 'pending')))
          .returning({ id: titheSettlements.id });
        if (!done.length) return;
        // A refund applied while the money was on its way left less payable than was sent: the rest is owed
        // back at once (and, for Stripe, a reversal of this very transfer is queued).
        const payable = s.paymentId && provider === 'stripe' ? await paymentPayable(tx, s.paymentId) : await providerPayable(tx, provider, s.currency);
        const { fromPayable, claim } = splitAgainstPayable(s.amount, payable);
        await postTitheSettlement(tx, { settlementId: s.id, provider, amount: s.amount, currency: s.currency, at, paymentId: s.paymentId, providerRef: res.providerRef, fromPayable });
        if (claim > 0n && s.paymentId && provider === 'stripe') await trackStripeClaim(tx, { id: s.paymentId, currency: s.currency }, claim, at);
      });
      report.sent += 1;
      d.log.info({ settlement: s.id, amount: String(s.amount), currency: s.currency, ref: res.providerRef }, 'tithe settled');
    } catch (err) {
      const retryable = !(err instanceof PaymentProviderError) || err.retryable;
      await d.db
        .update(titheSettlements)
        .set({ attempts: s.attempts + 1, lastError: err instanceof Error ? err.message.slice(0, 500) : String(err), status: retryable ? 'pending' : 'failed' })
        .where(and(eq(titheSettlements.id, s.id), inArray(titheSettlements.status, ['pending'])));
      report.failed += 1;
      d.log.warn({ settlement: s.id, err }, retryable ? 'tithe settlement failed; will retry' : 'tithe settlement refused; needs an operator');
    }
  }
  return report;
}
