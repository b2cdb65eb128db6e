// The tithe statement for a month: earned, reversed, sent and owed per currency, from the ledger, tied out
// against the operational records (payments, reversals, settlements). Any difference is printed, not hidden.
import type { Db } from '../../db/client.ts';
import { rows, sql } from '../../db/client.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { creditBalance, movements } from '../ledger/balances.ts';

export interface TitheStatementLine {
  currency: string;
  openingOwed: bigint;
  earned: bigint;
  reversed: bigint;
  sent: bigint;
  closingOwed: bigint;
  /** Each non-zero entry names a disagreement (ledger vs itself or vs the operational tables). */
  differences: Record<string, bigint>;
}

export function periodBounds(period: string): { from: Date; to: Date } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(period);
  if (!m) throw new RangeError(`period must be YYYY-MM, got ${JSON.stringify(period)}`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  return { from: new Date(Date.UTC(y, mo - 1, 1)), to: new Date(Date.UTC(y, mo, 1)) };
}

export async function titheStatement(db: Db, period: string): Promise<TitheStatementLine[]> {
  const { from, to } = periodBounds(period);
  const mv = await movements(db, ACCOUNTS.tithePayable, from, to);
  const ops = await rows<{ currency: string; earned: string; reversed: string; sent: string }>(
    db,
    sql`select c.currency,
          coalesce((select sum(tithe_amount) from payments where currency = c.currency and captured_at >= ${from.toISOString()}::timestamptz and captured_at < ${to.toISOString()}::timestamptz), 0)::text as earned,
          coalesce((select sum(r.tithe_reversed) from payment_reversals r join journal_entries e on e.key = r.kind || ':' || r.id::text
                    where r.currency = c.currency and r.status = 'applied' and e.posted_at >= ${from.toISOString()}::timestamptz and e.posted_at < ${to.toISOString()}::timestamptz), 0)::text as reversed,
          coalesce((select sum(amount) from tithe_settlements where currency = c.currency and status = 'sent' and sent_at >= ${from.toISOString()}::timestamptz and sent_at < ${to.toISOString()}::timestamptz), 0)::text as sent
        from (select distinct currency from journal_lines where account = ${ACCOUNTS.tithePayable}
              union select distinct currency from payments where tithe_amount is not null) c order by c.currency`,
  );
  const out: TitheStatementLine[] = [];
  for (const o of ops) {
    const cur = o.currency;
    const of = (kinds: string[], side: 'debit' | 'credit') => mv.filter((m) => m.currency === cur && kinds.includes(m.kind)).reduce((s, m) => s + m[side], 0n);
    const earned = of(['capture'], 'credit');
    const reversed = of(['refund', 'chargeback'], 'debit');
    const sent = of(['tithe_settlement'], 'debit');
    const other = of(['adjustment'], 'credit') - of(['adjustment'], 'debit');
    const openingOwed = await creditBalance(db, ACCOUNTS.tithePayable, cur, from);
    const closingOwed = await creditBalance(db, ACCOUNTS.tithePayable, cur, to);
    const differences: Record<string, bigint> = {
      'ledger roll-forward (opening + earned − reversed − sent + adjustments − closing)': openingOwed + earned - reversed - sent + other - closingOwed,
      'earned: ledger − payments': earned - BigInt(o.earned),
      'reversed: ledger − reversals': reversed - BigInt(o.reversed),
      'sent: ledger − settlements': sent - BigInt(o.sent),
    };
    for (const k of Object.keys(differences)) if (differences[k] === 0n) delete differences[k];
    out.push({ currency: cur, openingOwed, earned, reversed, sent, closingOwed, differences });
  }
  return out;
}
