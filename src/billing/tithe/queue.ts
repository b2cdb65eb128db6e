// What the next settlement sends, from the ledger: the tithe still payable, less what is already queued, less
// what upstream owes us back (netted off first: a journal entry, no money moves). Stripe: one transfer per
// payment, key `tithe_<paymentId>` (then `_2`, … should more become payable later). PayPal payouts: one
// batch per currency and day. Each decision runs under the tithe lock, so a refund posting meanwhile waits.
import { and, count, eq, inArray, sql } from 'drizzle-orm';
import { inTransaction, rows } from '../../db/client.ts';
import type { Db } from '../../db/client.ts';
import { titheSettlements } from '../../db/schema/payments.ts';
import { lockTithe, paymentPayable, providerPayable } from '../ledger/tithe-position.ts';
import type { PaymentsDeps } from '../payments/deps.ts';
import type { ProviderName } from '../payments/provider.ts';
import { netReceivable } from './netting.ts';

export interface QueueReport {
  created: number;
  netted: number;
}

async function queued(tx: Db, where: ReturnType<typeof and>): Promise<bigint> {
  const [{ s }] = await tx.select({ s: sql<string>`coalesce(sum(${titheSettlements.amount}), 0)::text` }).from(titheSettlements).where(where);
  return BigInt(s);
}

/** Net `due` against the receivable; returns what is left to send. */
async function net(d: PaymentsDeps, tx: Db, provider: ProviderName, currency: string, due: bigint, paymentId: string | null, report: QueueReport): Promise<bigint> {
  const netted = await netReceivable(d, tx, { provider, currency, due, paymentId, why: `tithe owed back by upstream (${provider}) netted off the next settlement` });
  if (netted > 0n) report.netted += 1;
  return due - netted;
}

export async function queueStripe(d: PaymentsDeps, report: QueueReport): Promise<void> {
  const candidates = await rows<{ id: string; currency: string }>(
    d.db,
    sql`select p.id::text, p.currency from payments p
        where p.provider = 'stripe' and p.status = 'succeeded' and p.tithe_amount > 0
          and (select coalesce(sum(l.credit - l.debit), 0) from journal_lines l join journal_entries e on e.id = l.entry_id
               where e.payment_id = p.id and l.account = 'tithe_payable')
            > coalesce((select sum(s.amount) from tithe_settlements s where s.payment_id = p.id and s.status in ('pending', 'failed')), 0)`,
  );
  for (const c of candidates) {
    await inTransaction(d.db, async (tx) => {
      await lockTithe(tx, 'stripe', c.currency);
      // A failed transfer waits for an operator: its amount is not queued again.
      const due = (await paymentPayable(tx, c.id)) - (await queued(tx, and(eq(titheSettlements.paymentId, c.id), inArray(titheSettlements.status, ['pending', 'failed']))));
      if (due <= 0n) return;
      const rest = await net(d, tx, 'stripe', c.currency, due, c.id, report);
      if (rest <= 0n) return;
      const [{ n }] = await tx.select({ n: count() }).from(titheSettlements).where(eq(titheSettlements.paymentId, c.id));
      const key = Number(n) === 0 ? `tithe_${c.id}` : `tithe_${c.id}_${Number(n) + 1}`;
      const r = await tx
        .insert(titheSettlements)
        .values({ provider: 'stripe', method: 'stripe_transfer', paymentId: c.id, amount: rest, currency: c.currency, idempotencyKey: key, createdAt: d.clock.now() })
        .onConflictDoNothing()
        .returning({ id: titheSettlements.id });
      report.created += r.length;
    });
  }
}

/** PayPal payouts: the currency's pooled payable, less payouts not yet sent, less the receivable. */
export async function queuePayPal(d: PaymentsDeps, report: QueueReport): Promise<void> {
  const currencies = await rows<{ currency: string }>(
    d.db,
    sql`select distinct currency from payments where provider = 'paypal' and status = 'succeeded' and tithe_amount > 0 order by currency`,
  );
  const day = d.clock.now().toISOString().slice(0, 10).replace(/-/g, '');
  for (const { currency } of currencies) {
    await inTransaction(d.db, async (tx) => {
      await lockTithe(tx, 'paypal', currency);
      const due =
        (await providerPayable(tx, 'paypal', currency)) -
        (await queued(tx, and(eq(titheSettlements.provider, 'paypal'), eq(titheSettlements.currency, currency), eq(titheSettlements.status, 'pending'))));
      if (due <= 0n) return;
      const rest = await net(d, tx, 'paypal', currency, due, null, report);
      if (rest <= 0n) return;
      const r = await tx
        .insert(titheSettlements)
        .values({ provider: 'paypal', method: 'paypal_payout', amount: rest, currency, idempotencyKey: `tithe_paypal_${currency}_${day}`, createdAt: d.clock.now() })
        .onConflictDoNothing()
        .returning({ id: titheSettlements.id });
      report.created += r.length;
    });
  }
}
