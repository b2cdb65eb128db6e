// Netting: tithe owed to upstream settled by offsetting what upstream owes back (a journal entry, no money
// moves). Reversals still in flight (pending Stripe transfer reversals) are not netted, so nothing comes
// back twice. Callers hold lockTithe for the provider and currency.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/client.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../log.ts';
import type { ProviderName } from '../ledger/accounts.ts';
import { postTitheNetting } from '../ledger/payment-entries.ts';
import { splitTithe } from '../ledger/split.ts';
import { titheReceivable } from '../ledger/tithe-position.ts';
import { pendingRecoveries } from './claims.ts';

/** What upstream owes back through `provider` that may be netted now. */
export async function nettableReceivable(tx: Db, provider: ProviderName, currency: string): Promise<bigint> {
  const owedBack = (await titheReceivable(tx, provider, currency)) - (provider === 'stripe' ? await pendingRecoveries(tx, currency) : 0n);
  return owedBack > 0n ? owedBack : 0n;
}

/** Net up to `due` of tithe owed; returns the amount netted. */
export async function netReceivable(
  d: { clock: Clock; log: Logger },
  tx: Db,
  n: { provider: ProviderName; currency: string; due: bigint; paymentId: string | null; why: string },
): Promise<bigint> {
  const owedBack = await nettableReceivable(tx, n.provider, n.currency);
  const amount = owedBack < n.due ? owedBack : n.due;
  if (amount <= 0n) return 0n;
  await postTitheNetting(tx, { key: randomUUID(), provider: n.provider, amount, currency: n.currency, at: d.clock.now(), paymentId: n.paymentId, memo: n.why });
  d.log.info({ provider: n.provider, currency: n.currency, paymentId: n.paymentId, amount: String(amount) }, 'tithe owed back by upstream netted off tithe owed');
  return amount;
}

/**
 * The platform fee a PayPal order routes at capture (platform_fees mode): the payment's tithe, less what
 * upstream owes back, so the fee nets it off. The capture then nets the same amount in the ledger
 * (see applyCapture); if another capture netted it first, the difference stays owed and is shown as such.
 */
export async function platformFeeFor(d: { db: Db; payments: { titheBps: number } }, p: { amount: bigint; currency: string }): Promise<bigint> {
  const { tithe } = splitTithe(p.amount, d.payments.titheBps);
  const owedBack = await nettableReceivable(d.db, 'paypal', p.currency);
  return owedBack < tithe ? tithe - owedBack : 0n;
}
