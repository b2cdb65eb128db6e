// settleTithes: forward the tithe payable. Stripe: one Connect transfer per payment, funded from its charge
// (source_transaction) with key `tithe_<paymentId>`. PayPal (payouts mode): one payout per currency per day,
// sender_batch_id = our key. Rows are written before the call, so a crash or a second replica re-sends the
// same key; each sent settlement posts its own ledger entry. Failed calls stay pending and are retried.
import { and, eq, inArray, sql } from 'drizzle-orm';
import { inTransaction, rows } from '../../db/client.ts';
import { titheSettlements } from '../../db/schema/payments.ts';
import { postTitheSettlement } from '../ledger/payment-entries.ts';
import type { PaymentsDeps } from '../payments/deps.ts';
import { PaymentProviderError, type ProviderName } from '../payments/provider.ts';

export interface SettleReport {
  created: number;
  sent: number;
  failed: number;
}

/** Net tithe still owed per Stripe payment that has no settlement yet. */
async function queueStripe(d: PaymentsDeps): Promise<number> {
  const due = await rows<{ id: string; currency: string; net: string }>(
    d.db,
    sql`select p.id::text, p.currency,
          (p.tithe_amount - coalesce((select sum(r.tithe_reversed) from payment_reversals r where r.payment_id = p.id and r.status = 'applied'), 0))::text as net
        from payments p
        where p.provider = 'stripe' and p.status = 'succeeded' and p.tithe_amount > 0
          and not exists (select 1 from tithe_settlements s where s.payment_id = p.id)`,
  );
  let n = 0;
  for (const p of due) {
    const net = BigInt(p.net);
    if (net <= 0n) continue;
    const r = await d.db
      .insert(titheSettlements)
      .values({ provider: 'stripe', method: 'stripe_transfer', paymentId: p.id, amount: net, currency: p.currency, idempotencyKey: `tithe_${p.id}`, createdAt: d.clock.now() })
      .onConflictDoNothing()
      .returning({ id: titheSettlements.id });
    n += r.length;
  }
  return n;
}

/** PayPal payouts: what PayPal payments earned net of reversals, minus everything already settled or queued. */
async function queuePayPal(d: PaymentsDeps): Promise<number> {
  const owed = await rows<{ currency: string; owed: string }>(
    d.db,
    sql`with earned as (
          select p.currency, sum(p.tithe_amount - coalesce((select sum(r.tithe_reversed) from payment_reversals r where r.payment_id = p.id and r.status = 'applied'), 0)) as amt
          from payments p where p.provider = 'paypal' and p.status = 'succeeded' and p.tithe_amount > 0 group by p.currency),
        settled as (
          select currency, sum(amount) as amt from tithe_settlements where provider = 'paypal' and status in ('pending', 'sent') group by currency)
        select e.currency, (e.amt - coalesce(s.amt, 0))::text as owed from earned e left join settled s on s.currency = e.currency`,
  );
  const day = d.clock.now().toISOString().slice(0, 10).replace(/-/g, '');
  let n = 0;
  for (const o of owed) {
    const amount = BigInt(o.owed);
    if (amount <= 0n) continue;
    const r = await d.db
      .insert(titheSettlements)
      .values({ provider: 'paypal', method: 'paypal_payout', amount, currency: o.currency, idempotencyKey: `tithe_paypal_${o.currency}_${day}`, createdAt: d.clock.now() })
      .onConflictDoNothing()
      .returning({ id: titheSettlements.id });
    n += r.length;
  }
  return n;
}

export async function settleTithes(d: PaymentsDeps): Promise<SettleReport> {
  const report: SettleReport = { created: 0, sent: 0, failed: 0 };
  if (d.providers.has('stripe') && d.payments.titheStripeAccount) report.created += await queueStripe(d);
  if (d.providers.has('paypal') && d.payments.tithePaypalPayee && d.payments.paypal?.titheMode === 'payouts') report.created += await queuePayPal(d);
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
        const done = await tx
          .update(titheSettlements)
          .set({ status: 'sent', providerRef: res.providerRef, sentAt: at, attempts: s.attempts + 1, lastError: null })
          .where(and(eq(titheSettlements.id, s.id), eq(titheSettlements.status, 'pending')))
          .returning({ id: titheSettlements.id });
        if (done.length) await postTitheSettlement(tx, { settlementId: s.id, provider, amount: s.amount, currency: s.currency, at, paymentId: s.paymentId, providerRef: res.providerRef });
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
