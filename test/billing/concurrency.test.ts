// Two invoice runs of the same period at once (PostgreSQL, separate connections): no duplicate invoice, no gap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { openDatabase, rows, sql, type Database } from '../../src/db/client.ts';
import { assignVm, runInvoicePeriod } from '../../src/billing/index.ts';
import { ctxFor, fillHours, makeVm, MARCH, plan, tenant } from './fixtures.ts';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

describe.skipIf(!onPostgres)('concurrent invoice runs (PostgreSQL)', () => {
  let t: TestDatabase;
  let second: Database;
  beforeAll(async () => {
    t = await createTestDatabase();
    second = await openDatabase({ url: t.url!, max: 4 });
  });
  afterAll(async () => {
    await second.close();
    await t.close();
  });

  it('two concurrent runInvoicePeriod calls create each invoice once and number them without gaps', async () => {
    const ctx = ctxFor(t.db);
    const p = await plan(ctx, { basePrice: 999n, components: [{ component: 'cpu_hours', tiers: [{ upTo: null, unitPrice: '0.01' }] }] });
    for (let i = 0; i < 40; i++) {
      const ten = await tenant(ctx, { company: `Race ${i}` });
      const vm = await makeVm(t.db, `race-${i}`);
      await assignVm(ctx, { vmUuid: vm, tenantId: ten.id, planId: p.id, from: new Date(MARCH.from) });
      await fillHours(t.db, vm, MARCH.from, MARCH.to, { cpuSeconds: BigInt(60 * i) });
    }
    const [a, b] = await Promise.all([
      runInvoicePeriod(ctx, { period: '2026-03', finalize: true, batchSize: 7 }),
      runInvoicePeriod(ctxFor(second.db), { period: '2026-03', finalize: true, batchSize: 5 }),
    ]);
    expect(a.created + b.created).toBe(40);
    const numbers = [...a.numbers, ...b.numbers].sort();
    expect(numbers).toEqual(Array.from({ length: 40 }, (_, i) => `KZ-2026-${String(i + 1).padStart(6, '0')}`));
    const [c] = await rows<{ n: number; tenants: number; finals: number }>(
      t.db,
      sql`select count(*)::int as n, count(distinct tenant_id)::int as tenants, count(*) filter (where status = 'finalized')::int as finals from invoices where period = '2026-03'`,
    );
    expect(c).toEqual({ n: 40, tenants: 40, finals: 40 });
    const [ctr] = await rows<{ v: string }>(t.db, sql`select last_value::text as v from invoice_number_counters where series = 'KZ-2026'`);
    expect(ctr.v).toBe('40');
  });

  it('two concurrent overlapping assignments of one VM: the trigger lets exactly one commit', async () => {
    const ctx = ctxFor(t.db);
    const [a, b] = [await tenant(ctx), await tenant(ctx)];
    const p = await plan(ctx);
    const vm = await makeVm(t.db, 'race-assign');
    const insertSlowly = (db: typeof t.db, tenantId: string, from: string) =>
      db.transaction(async (tx) => {
        await rows(tx, sql`insert into vm_assignments (vm_uuid, tenant_id, plan_id, valid_from) values (${vm}::uuid, ${tenantId}::uuid, ${p.id}::uuid, ${from}::timestamptz)`);
        await rows(tx, sql`select pg_sleep(0.3)`);
      });
    const results = await Promise.allSettled([insertSlowly(t.db, a.id, '2026-03-01T00:00:00Z'), insertSlowly(second.db, b.id, '2026-03-05T00:00:00Z')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const [c] = await rows<{ n: number }>(t.db, sql`select count(*)::int as n from vm_assignments where vm_uuid = ${vm}::uuid`);
    expect(c.n).toBe(1);
  });
});
