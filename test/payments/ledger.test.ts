// The ledger's invariants: tithe + revenue = payment for any amount and rate, proportional reversals sum
// exactly to the tithe, entries must balance, posted rows can never change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.ts';
import { splitTithe, titheReversal } from '../../src/billing/ledger/split.ts';
import { postEntry, UnbalancedEntry } from '../../src/billing/ledger/post.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

describe('tithe arithmetic (property)', () => {
  it('tithe + revenue = payment, tithe is the half-even rounding of amount × bps / 10000', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 10_000 }), (amount, bps) => {
        const { tithe, revenue } = splitTithe(amount, bps);
        expect(tithe + revenue).toBe(amount);
        expect(tithe >= 0n && revenue >= 0n).toBe(true);
        // |tithe·10000 − amount·bps| ≤ 5000 (within half a minor unit)
        const err = tithe * 10_000n - amount * BigInt(bps);
        expect(err <= 5000n && err >= -5000n).toBe(true);
      }),
    );
  });

  it('partial reversals in any split sum to exactly the tithe when fully reversed; each is in proportion', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(fc.bigInt({ min: 1n, max: 1000n }), { minLength: 1, maxLength: 12 }),
        (paid, bps, weights) => {
          const { tithe } = splitTithe(paid, bps);
          const total = weights.reduce((a, b) => a + b, 0n);
          // Cut `paid` into refund parts by the weights (some may be 0 → skipped).
          let given = 0n;
          const parts = weights.map((w, i) => {
            const upTo = i === weights.length - 1 ? paid : (paid * weights.slice(0, i + 1).reduce((a, b) => a + b, 0n)) / total;
            const part = upTo - given;
            given = upTo;
            return part;
          });
          let before = 0n;
          let back = 0n;
          for (const amount of parts.filter((p) => p > 0n)) {
            const r = titheReversal({ paid, tithe, reversedBefore: before, amount });
            // Proportional to within one minor unit: |r·paid − tithe·amount| ≤ paid
            const dev = r * paid - tithe * amount;
            expect(dev <= paid && dev >= -paid).toBe(true);
            back += r;
            before += amount;
          }
          expect(back).toBe(tithe);
        },
      ),
    );
  });

  it('a third of 100.00 at 10%: 3.33, 3.34, 3.33 — exact to the cent', () => {
    const paid = 10_000n;
    const { tithe } = splitTithe(paid, 1000);
    expect(tithe).toBe(1000n);
    const a = titheReversal({ paid, tithe, reversedBefore: 0n, amount: 3333n });
    const b = titheReversal({ paid, tithe, reversedBefore: 3333n, amount: 3333n });
    const c = titheReversal({ paid, tithe, reversedBefore: 6666n, amount: 3334n });
    expect([a, b, c]).toEqual([333n, 334n, 333n]);
  });
});

describe('journal (database)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.close());
  const at = new Date('2026-03-01T00:00:00Z');

  it('posts a balanced entry once per key', async () => {
    const input = {
      key: 'adj:1',
      kind: 'adjustment' as const,
      postedAt: at,
      lines: [
        { account: 'cash:stripe', debit: 500n, currency: 'USD' },
        { account: 'revenue', credit: 450n, currency: 'USD' },
        { account: 'tithe_payable', credit: 50n, currency: 'USD' },
      ],
    };
    const a = await postEntry(database.db, input);
    const b = await postEntry(database.db, input);
    expect(a.posted).toBe(true);
    expect(b).toEqual({ entryId: a.entryId, posted: false });
    const [{ n }] = await rows<{ n: number }>(database.db, sql`select count(*)::int as n from journal_lines where entry_id = ${a.entryId}::uuid`);
    expect(n).toBe(3);
  });

  it('the verb refuses an unbalanced entry, naming the difference', async () => {
    await expect(
      postEntry(database.db, { key: 'adj:bad', kind: 'adjustment', postedAt: at, lines: [{ account: 'cash:stripe', debit: 5n, currency: 'USD' }, { account: 'revenue', credit: 4n, currency: 'USD' }] }),
    ).rejects.toThrow(UnbalancedEntry);
  });

  it('the database refuses an unbalanced entry written around the verb (deferred check at commit)', async () => {
    await expect(
      database.db.transaction(async (tx) => {
        const [e] = await rows<{ id: string }>(tx, sql`insert into journal_entries (key, kind, posted_at) values ('raw:1', 'adjustment', ${at.toISOString()}::timestamptz) returning id::text`);
        await rows(tx, sql`insert into journal_lines (entry_id, account, debit, currency) values (${e.id}::uuid, 'cash:stripe', 100, 'USD')`);
        await rows(tx, sql`insert into journal_lines (entry_id, account, credit, currency) values (${e.id}::uuid, 'revenue', 99, 'USD')`);
      }),
    ).rejects.toThrow(/does not balance/);
    const left = await rows(database.db, sql`select 1 from journal_entries where key = 'raw:1'`);
    expect(left).toHaveLength(0);
  });

  it('posted rows are append-only: UPDATE and DELETE are rejected', async () => {
    const reason = (p: Promise<unknown>) =>
      p.then(
        () => 'no error',
        (e: Error & { cause?: Error }) => `${e.message} ${e.cause?.message ?? ''}`,
      );
    expect(await reason(rows(database.db, sql`update journal_lines set debit = debit + 1 where debit > 0`))).toMatch(/ledger is append-only: UPDATE on journal_lines/);
    expect(await reason(rows(database.db, sql`delete from journal_entries`))).toMatch(/ledger is append-only: DELETE on journal_entries/);
    expect(await reason(rows(database.db, sql`update journal_entries set memo = 'x'`))).toMatch(/append-only/);
  });
});
