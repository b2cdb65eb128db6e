// Reading the ledger: account balances and per-kind movements over a period (statements, tie-outs).
import type { Db } from '../../db/client.ts';
import { rows, sql } from '../../db/client.ts';

/** Credit-normal balance (credits − debits) of an account in one currency, entries posted before `before`. */
export async function creditBalance(db: Db, account: string, currency: string, before?: Date): Promise<bigint> {
  const cutoff = before ? sql`and e.posted_at < ${before.toISOString()}::timestamptz` : sql``;
  const [r] = await rows<{ bal: string }>(
    db,
    sql`select coalesce(sum(l.credit - l.debit), 0)::text as bal
        from journal_lines l join journal_entries e on e.id = l.entry_id
        where l.account = ${account} and l.currency = ${currency} ${cutoff}`,
  );
  return BigInt(r.bal);
}

export interface Movement {
  kind: string;
  currency: string;
  debit: bigint;
  credit: bigint;
}

/** Debits and credits to `account`, grouped by entry kind and currency, for entries posted in [from, to). */
export async function movements(db: Db, account: string, from: Date, to: Date): Promise<Movement[]> {
  const r = await rows<{ kind: string; currency: string; debit: string; credit: string }>(
    db,
    sql`select e.kind, l.currency, sum(l.debit)::text as debit, sum(l.credit)::text as credit
        from journal_lines l join journal_entries e on e.id = l.entry_id
        where l.account = ${account}
          and e.posted_at >= ${from.toISOString()}::timestamptz and e.posted_at < ${to.toISOString()}::timestamptz
        group by e.kind, l.currency order by l.currency, e.kind`,
  );
  return r.map((x) => ({ kind: x.kind, currency: x.currency, debit: BigInt(x.debit), credit: BigInt(x.credit) }));
}

/** Every entry balances per currency (the trigger guarantees it; this is the audit query). */
export async function unbalancedEntries(db: Db): Promise<string[]> {
  const r = await rows<{ entry_id: string }>(
    db,
    sql`select entry_id::text from journal_lines group by entry_id, currency having sum(debit) <> sum(credit)`,
  );
  return r.map((x) => x.entry_id);
}
