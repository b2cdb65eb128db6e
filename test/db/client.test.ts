import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { inTransaction, pgArray, rows, sql } from '../../src/db/client.ts';

describe('database client (both drivers)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t.close());

  it('returns plain rows with casts applied in SQL, whichever driver', async () => {
    const r = await rows<{ n: number; big: string }>(t.db, sql`select count(*)::int as n, (2::numeric ^ 64)::numeric(20,0)::text as big from hosts`);
    expect(r).toEqual([{ n: 0, big: '18446744073709551616' }]);
  });

  it('binds arrays as one parameter', async () => {
    const r = await rows<{ s: string }>(t.db, sql`select sum(x)::text as s from unnest(${pgArray([1n, 2n, 9007199254740993n])}::numeric[]) x`);
    expect(r[0].s).toBe('9007199254740996');
  });

  it('composes transactions: an inner verb reuses the outer transaction and rolls back with it', async () => {
    await expect(
      inTransaction(t.db, async (tx) => {
        await inTransaction(tx, (inner) => rows(inner, sql`insert into hosts (name, adapter) values ('tx-host', 'sim')`));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const r = await rows<{ n: number }>(t.db, sql`select count(*)::int as n from hosts where name = 'tx-host'`);
    expect(r[0].n).toBe(0);
  });
});
