// Where the tithe stands, read from the ledger: what is still payable (not yet sent) and what upstream owes
// back. Stripe settles each payment by its own transfer, so its payable is measured per payment; PayPal
// pays out in batches (or per capture as a platform fee), so its payable is one pool per currency.
// Every change to these balances runs under lockTithe, so two writers never split the same payable.
import type { Db } from '../../db/client.ts';
import { rows, sql } from '../../db/client.ts';
import { ACCOUNTS, cashAccount, titheReceivableAccount, type ProviderName } from './accounts.ts';

/** The two-key advisory lock space is apart from the one-key space the job locks use. */
const TITHE_LOCK_CLASS = 7_411;

/**
 * Serialises tithe postings per provider and currency until the transaction ends. Lock order: a payment
 * row first (if any), then this, then settlement and recovery rows.
 */
export async function lockTithe(tx: Db, provider: ProviderName, currency: string): Promise<void> {
  await rows(tx, sql`select pg_advisory_xact_lock(${TITHE_LOCK_CLASS}::int, hashtext(${`${provider}:${currency}`}))`);
}

async function balance(db: Db, query: ReturnType<typeof sql>): Promise<bigint> {
  const [r] = await rows<{ bal: string | null }>(db, query);
  return BigInt(r?.bal ?? '0');
}

/** Tithe of one payment not yet sent (credit-normal balance of its tithe_payable lines). */
export function paymentPayable(db: Db, paymentId: string): Promise<bigint> {
  return balance(
    db,
    sql`select coalesce(sum(l.credit - l.debit), 0)::text as bal
        from journal_lines l join journal_entries e on e.id = l.entry_id
        where e.payment_id = ${paymentId}::uuid and l.account = ${ACCOUNTS.tithePayable}`,
  );
}

/** Tithe payable attributed to a provider: entries that move its cash or its tithe receivable. */
export function providerPayable(db: Db, provider: ProviderName, currency: string): Promise<bigint> {
  return balance(
    db,
    sql`select coalesce(sum(l.credit - l.debit), 0)::text as bal
        from journal_lines l
        where l.account = ${ACCOUNTS.tithePayable} and l.currency = ${currency}
          and exists (select 1 from journal_lines o where o.entry_id = l.entry_id
                      and o.account in (${cashAccount(provider)}, ${titheReceivableAccount(provider)}))`,
  );
}

/** What upstream owes us back through this provider (debit-normal). */
export function titheReceivable(db: Db, provider: ProviderName, currency: string): Promise<bigint> {
  return balance(
    db,
    sql`select coalesce(sum(debit - credit), 0)::text as bal from journal_lines
        where account = ${titheReceivableAccount(provider)} and currency = ${currency}`,
  );
}

/** The payable a reversal or settlement of this payment draws on (see the module note). */
export function unsettledTithe(db: Db, p: { id: string; provider: string; currency: string }): Promise<bigint> {
  return p.provider === 'stripe' ? paymentPayable(db, p.id) : providerPayable(db, p.provider as ProviderName, p.currency);
}

/** Split an amount of tithe between what is still payable and the rest (already sent: a claim). */
export function splitAgainstPayable(amount: bigint, payable: bigint): { fromPayable: bigint; claim: bigint } {
  const fromPayable = payable <= 0n ? 0n : payable < amount ? payable : amount;
  return { fromPayable, claim: amount - fromPayable };
}
