// The tithe statement for a month, per currency, from the ledger: what was earned, reversed, sent and
// recovered, what is still owed to upstream (tithe payable) and what upstream owes back (tithe receivable:
// tithe already sent that refunds or chargebacks reversed). Both balances roll forward from the period's
// entries, and each movement ties out against the operational records (payments, reversals, settlements,
// recoveries). Any difference is printed, not hidden.
import type { Db } from '../../db/client.ts';
import { rows, sql } from '../../db/client.ts';
import { ACCOUNTS, titheReceivableAccount } from '../ledger/accounts.ts';
import { movements, type Movement } from '../ledger/balances.ts';

export interface TitheStatementLine {
  currency: string;
  /** Tithe payable (owed to upstream, not yet sent) at the start of the period. */
  openingOwed: bigint;
  /** Owed back by upstream at the start of the period (tithe receivable, all providers). */
  openingOwedBack: bigint;
  earned: bigint;
  /** Tithe reversed by refunds and chargebacks, whether it was still payable or already sent. */
  reversed: bigint;
  /** Of `reversed` (plus any settlement that overtook a refund): already sent, so claimed back from upstream. */
  claimed: bigint;
  sent: bigint;
  /** Taken back from upstream (Stripe transfer reversals, PayPal platform fees refunded). */
  recovered: bigint;
  /** Owed back by upstream and offset against tithe owed, instead of moving money. */
  netted: bigint;
  closingOwed: bigint;
  closingOwedBack: bigint;
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

const RECEIVABLES = [titheReceivableAccount('stripe'), titheReceivableAccount('paypal')];

/** Credit-normal payable and debit-normal receivable balances per currency, entries before `before`. */
async function balancesBefore(db: Db, before: Date): Promise<Map<string, { owed: bigint; owedBack: bigint }>> {
  const r = await rows<{ currency: string; owed: string; back: string }>(
    db,
    sql`select l.currency,
          coalesce(sum(case when l.account = ${ACCOUNTS.tithePayable} then l.credit - l.debit end), 0)::text as owed,
          coalesce(sum(case when l.account <> ${ACCOUNTS.tithePayable} then l.debit - l.credit end), 0)::text as back
        from journal_lines l join journal_entries e on e.id = l.entry_id
        where l.account in (${ACCOUNTS.tithePayable}, ${RECEIVABLES[0]}, ${RECEIVABLES[1]}) and e.posted_at < ${before.toISOString()}::timestamptz
        group by l.currency`,
  );
  return new Map(r.map((x) => [x.currency, { owed: BigInt(x.owed), owedBack: BigInt(x.back) }]));
}

/** What the operational tables say happened in the period. */
async function operational(db: Db, from: Date, to: Date) {
  const f = from.toISOString();
  const t = to.toISOString();
  return rows<{ currency: string; earned: string; reversed: string; sent: string; recovered: string }>(
    db,
    sql`select c.currency,
          coalesce((select sum(tithe_amount) from payments where currency = c.currency and captured_at >= ${f}::timestamptz and captured_at < ${t}::timestamptz), 0)::text as earned,
          coalesce((select sum(r.tithe_reversed) from payment_reversals r join journal_entries e on e.key = r.kind || ':' || r.id::text
                    where r.currency = c.currency and r.status = 'applied' and e.posted_at >= ${f}::timestamptz and e.posted_at < ${t}::timestamptz), 0)::text as reversed,
          coalesce((select sum(amount) from tithe_settlements where currency = c.currency and status = 'sent' and sent_at >= ${f}::timestamptz and sent_at < ${t}::timestamptz), 0)::text as sent,
          coalesce((select sum(amount) from tithe_recoveries where currency = c.currency and status = 'recovered' and recovered_at >= ${f}::timestamptz and recovered_at < ${t}::timestamptz), 0)::text as recovered
        from (select distinct currency from journal_lines where account in (${ACCOUNTS.tithePayable}, ${RECEIVABLES[0]}, ${RECEIVABLES[1]})
              union select distinct currency from payments where tithe_amount is not null) c order by c.currency`,
  );
}

export async function titheStatement(db: Db, period: string): Promise<TitheStatementLine[]> {
  const { from, to } = periodBounds(period);
  const payable = await movements(db, ACCOUNTS.tithePayable, from, to);
  const receivable = (await Promise.all(RECEIVABLES.map((a) => movements(db, a, from, to)))).flat();
  const opening = await balancesBefore(db, from);
  const closing = await balancesBefore(db, to);
  const out: TitheStatementLine[] = [];
  for (const o of await operational(db, from, to)) {
    const cur = o.currency;
    const sum = (mv: Movement[], kinds: string[], side: 'debit' | 'credit') => mv.filter((m) => m.currency === cur && kinds.includes(m.kind)).reduce((s, m) => s + m[side], 0n);
    const P = (kinds: string[], side: 'debit' | 'credit') => sum(payable, kinds, side);
    const R = (kinds: string[], side: 'debit' | 'credit') => sum(receivable, kinds, side);
    const REV = ['refund', 'chargeback'];
    const earned = P(['capture'], 'credit');
    const reversed = P(REV, 'debit') + R(REV, 'debit');
    const claimed = R([...REV, 'tithe_settlement'], 'debit');
    const sent = P(['tithe_settlement'], 'debit') + R(['tithe_settlement'], 'debit');
    const recovered = R(['tithe_recovery'], 'credit') + P(['tithe_recovery'], 'credit');
    const netted = R(['tithe_netting'], 'credit');
    const adjustments = P(['adjustment'], 'credit') - P(['adjustment'], 'debit');
    const open = opening.get(cur) ?? { owed: 0n, owedBack: 0n };
    const close = closing.get(cur) ?? { owed: 0n, owedBack: 0n };
    const differences: Record<string, bigint> = {
      'owed roll-forward (opening + earned − reversed before sending − sent from owed − netted + recovered beyond claims + adjustments − closing)':
        open.owed + earned - P(REV, 'debit') - P(['tithe_settlement'], 'debit') - P(['tithe_netting'], 'debit') + P(['tithe_recovery'], 'credit') + adjustments - close.owed,
      'owed-back roll-forward (opening + claimed − recovered − netted − closing)': open.owedBack + claimed - R(['tithe_recovery'], 'credit') - netted - close.owedBack,
      'earned: ledger − payments': earned - BigInt(o.earned),
      'reversed: ledger − reversals': reversed - BigInt(o.reversed),
      'sent: ledger − settlements': sent - BigInt(o.sent),
      'recovered: ledger − recoveries': recovered - BigInt(o.recovered),
    };
    for (const k of Object.keys(differences)) if (differences[k] === 0n) delete differences[k];
    out.push({ currency: cur, openingOwed: open.owed, openingOwedBack: open.owedBack, earned, reversed, claimed, sent, recovered, netted, closingOwed: close.owed, closingOwedBack: close.owedBack, differences });
  }
  return out;
}
