// postEntry: append one balanced journal entry, idempotently by its key. The database re-checks the
// balance at commit (deferred constraint trigger) and rejects any UPDATE/DELETE of posted rows.
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { inTransaction } from '../../db/client.ts';
import { journalEntries, journalLines } from '../../db/schema/ledger.ts';
import { assertAccount } from './accounts.ts';

export interface LedgerLine {
  account: string;
  debit?: bigint;
  credit?: bigint;
  currency: string;
}

export interface EntryInput {
  key: string;
  kind: 'capture' | 'refund' | 'chargeback' | 'tithe_settlement' | 'tithe_netting' | 'tithe_recovery' | 'adjustment';
  postedAt: Date;
  tenantId?: string | null;
  paymentId?: string | null;
  memo?: string;
  meta?: Record<string, string>;
  lines: LedgerLine[];
}

export class UnbalancedEntry extends Error {
  readonly code = 'UnbalancedEntry';
}

/** Lines with a zero amount are dropped (a 0 bps tithe posts no tithe line). */
export function normaliseLines(input: EntryInput): Required<LedgerLine>[] {
  const out = input.lines
    .map((l) => ({ account: assertAccount(l.account), debit: l.debit ?? 0n, credit: l.credit ?? 0n, currency: l.currency }))
    .filter((l) => l.debit !== 0n || l.credit !== 0n);
  const sums = new Map<string, bigint>();
  for (const l of out) {
    if (l.debit < 0n || l.credit < 0n || (l.debit > 0n && l.credit > 0n)) {
      throw new UnbalancedEntry(`entry ${input.key}: line ${l.account} must have either a positive debit or a positive credit`);
    }
    if (!/^[A-Z]{3}$/.test(l.currency)) throw new UnbalancedEntry(`entry ${input.key}: currency ${JSON.stringify(l.currency)} is not an ISO code`);
    sums.set(l.currency, (sums.get(l.currency) ?? 0n) + l.debit - l.credit);
  }
  for (const [cur, diff] of sums) {
    if (diff !== 0n) throw new UnbalancedEntry(`entry ${input.key} does not balance in ${cur}: debits − credits = ${diff}`);
  }
  if (out.length < 2) throw new UnbalancedEntry(`entry ${input.key} needs at least two non-zero lines, has ${out.length}`);
  return out;
}

/** Returns the entry id and whether this call posted it (false: the key was already posted). */
export async function postEntry(db: Db, input: EntryInput): Promise<{ entryId: string; posted: boolean }> {
  const lines = normaliseLines(input);
  return inTransaction(db, async (tx) => {
    const [row] = await tx
      .insert(journalEntries)
      .values({
        key: input.key,
        kind: input.kind,
        tenantId: input.tenantId ?? null,
        paymentId: input.paymentId ?? null,
        postedAt: input.postedAt,
        memo: input.memo ?? '',
        meta: input.meta ?? {},
      })
      .onConflictDoNothing({ target: journalEntries.key })
      .returning({ id: journalEntries.id });
    if (!row) {
      const [existing] = await tx.select({ id: journalEntries.id }).from(journalEntries).where(eq(journalEntries.key, input.key));
      return { entryId: existing.id, posted: false };
    }
    await tx.insert(journalLines).values(lines.map((l) => ({ ...l, entryId: row.id })));
    return { entryId: row.id, posted: true };
  });
}
