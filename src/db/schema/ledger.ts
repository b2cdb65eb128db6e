// Double-entry ledger: journal entries and their lines, append-only (triggers in migration ledger_guards).
// Amounts are bigint minor units; each entry balances per currency (deferred constraint trigger).
import { sql } from 'drizzle-orm';
import { bigserial, check, index, pgTable, text, uuid, jsonb } from 'drizzle-orm/pg-core';
import { createdAt, id, int64, tstz } from './columns.ts';

export const journalEntries = pgTable(
  'journal_entries',
  {
    id: id(),
    /** Idempotency key derived from our ids (`capture:<paymentId>`): posting twice is a no-op. */
    key: text('key').notNull().unique(),
    /** capture | refund | chargeback | tithe_settlement | adjustment */
    kind: text('kind').notNull(),
    tenantId: uuid('tenant_id'),
    paymentId: uuid('payment_id'),
    postedAt: tstz('posted_at').notNull(),
    memo: text('memo').notNull().default(''),
    meta: jsonb('meta').$type<Record<string, string>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index('journal_entries_posted').on(t.postedAt), index('journal_entries_payment').on(t.paymentId)],
);

export const journalLines = pgTable(
  'journal_lines',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    entryId: uuid('entry_id')
      .notNull()
      .references(() => journalEntries.id),
    /** `cash:stripe`, `revenue`, `tithe_payable`, … (see billing/ledger/accounts.ts). */
    account: text('account').notNull(),
    debit: int64('debit').notNull().default(sql`0`),
    credit: int64('credit').notNull().default(sql`0`),
    currency: text('currency').notNull(),
  },
  (t) => [
    index('journal_lines_entry').on(t.entryId),
    index('journal_lines_account').on(t.account, t.currency),
    check('journal_lines_one_side', sql`(${t.debit} > 0 and ${t.credit} = 0) or (${t.credit} > 0 and ${t.debit} = 0)`),
    check('journal_lines_currency', sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);
