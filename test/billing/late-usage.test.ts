// Late usage: hour buckets that change after their period was finalized are billed on the next invoice as dated
// adjustment lines; the finalized invoice never changes, and adjustments are not repeated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { rows, sql } from '../../src/db/client.ts';
import { assignVm, getInvoice, listInvoices, runInvoicePeriod, voidInvoice } from '../../src/billing/index.ts';
import { ctxFor, fillHours, GIB, makeVm, plan, tenant } from './fixtures.ts';

describe('late usage (both databases)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t.close());

  it('puts usage that arrived after finalization onto the next invoice as dated adjustments', async () => {
    const ctx = ctxFor(t.db, '2026-03-01T01:00:00Z');
    const ten = await tenant(ctx);
    const p = await plan(ctx, {
      basePrice: 1000n,
      components: [{ component: 'network_out_gib', included: '100', tiers: [{ upTo: '200', unitPrice: '0.10' }, { upTo: null, unitPrice: '0.05' }] }],
    });
    const vm = await makeVm(t.db, 'late');
    await assignVm(ctx, { vmUuid: vm, tenantId: ten.id, planId: p.id, from: new Date('2026-02-01T00:00:00Z') });
    // February: 672 hours; 0.25 GiB per hour = 168 GiB → 68 GiB in tier 1 = 6.80
    await fillHours(t.db, vm, '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z', { netTxBytes: GIB / 4n });
    const feb = await runInvoicePeriod(ctx, { period: '2026-02', tenantId: ten.id, finalize: true });
    expect(feb.numbers).toHaveLength(1);
    const [febInv] = await listInvoices(ctx, { tenantId: ten.id, period: '2026-02' });
    const febBefore = await getInvoice(ctx, febInv.id);
    expect(febBefore.subtotal).toBe(1680n);

    // A host that was unreachable reports late: 10 February hours get 10 GiB more each (+100 GiB → 268 GiB).
    await rows(t.db, sql`update usage_hour set net_tx_bytes = net_tx_bytes + ${(10n * GIB).toString()}::bigint
                         where vm_uuid = ${vm}::uuid and bucket >= '2026-02-10T00:00:00Z' and bucket < '2026-02-10T10:00:00Z'`);
    await fillHours(t.db, vm, '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z', { netTxBytes: 0n });
    ctx.clock.set(new Date('2026-04-01T01:00:00Z'));
    await runInvoicePeriod(ctx, { period: '2026-03', tenantId: ten.id, finalize: true });

    expect(await getInvoice(ctx, febInv.id)).toEqual(febBefore);
    const [mar] = await listInvoices(ctx, { tenantId: ten.id, period: '2026-03' });
    const march = await getInvoice(ctx, mar.id);
    const adj = march.lines.filter((l) => l.kind === 'adjustment');
    // Was: 68 GiB in tier 1 (6.80). Now: 100 GiB in tier 1 (10.00) + 68 GiB in tier 2 (3.40) → +32 GiB/+3.20 and +68 GiB/+3.40.
    expect(adj.map((l) => [l.description.startsWith('Late usage 2026-02'), l.quantity, l.amount, l.rangeStart.toISOString(), l.rangeEnd.toISOString()])).toEqual([
      [true, '32.000000', 320n, '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
      [true, '68.000000', 340n, '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
    ]);
    expect(march.subtotal).toBe(1000n + 660n);
    expect(march.lines.reduce((a, l) => a + l.amount, 0n)).toBe(march.subtotal);

    // April: nothing changed since March recorded the new February quantities → no repeated adjustment.
    ctx.clock.set(new Date('2026-05-01T01:00:00Z'));
    const apr = await runInvoicePeriod(ctx, { period: '2026-04', tenantId: ten.id, dryRun: true, lateUsageLookback: 2 });
    expect(apr.invoices[0].lines.filter((l) => l.kind === 'adjustment')).toEqual([]);

    // Usage going down is credited the same way (negative adjustment).
    await rows(t.db, sql`update usage_hour set net_tx_bytes = 0 where vm_uuid = ${vm}::uuid and bucket >= '2026-02-10T00:00:00Z' and bucket < '2026-02-10T10:00:00Z'`);
    const apr2 = await runInvoicePeriod(ctx, { period: '2026-04', tenantId: ten.id, dryRun: true, lateUsageLookback: 2 });
    const down = apr2.invoices[0].lines.filter((l) => l.kind === 'adjustment');
    expect(down.reduce((a, l) => a + l.amount, 0n)).toBe(-(320n + 340n + 25n)); // back below 6.80: 10 h × 0.25 GiB less → 65.5 GiB → 6.55
    // The default look-back is one period: February is out of reach of an April run.
    const aprDefault = await runInvoicePeriod(ctx, { period: '2026-04', tenantId: ten.id, dryRun: true });
    expect(aprDefault.invoices[0].lines.filter((l) => l.kind === 'adjustment')).toEqual([]);
  });

  it('ignores adjustments recorded on a voided invoice (they were never billed)', async () => {
    const ctx = ctxFor(t.db, '2026-03-01T01:00:00Z');
    const ten = await tenant(ctx);
    const p = await plan(ctx, { basePrice: 0n, components: [{ component: 'cpu_hours', tiers: [{ upTo: null, unitPrice: '1' }] }] });
    const vm = await makeVm(t.db, 'late-void');
    await assignVm(ctx, { vmUuid: vm, tenantId: ten.id, planId: p.id, from: new Date('2026-02-01T00:00:00Z') });
    await fillHours(t.db, vm, '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z', { cpuSeconds: 0n });
    await runInvoicePeriod(ctx, { period: '2026-02', tenantId: ten.id, finalize: true });
    await rows(t.db, sql`update usage_hour set cpu_seconds = 3600 where vm_uuid = ${vm}::uuid and bucket = '2026-02-03T00:00:00Z'`);
    ctx.clock.set(new Date('2026-04-01T01:00:00Z'));
    await runInvoicePeriod(ctx, { period: '2026-03', tenantId: ten.id, finalize: true });
    const [mar] = await listInvoices(ctx, { tenantId: ten.id, period: '2026-03' });
    expect(mar.subtotal).toBe(100n);
    await voidInvoice(ctx, { invoiceId: mar.id, reason: 'wrong' });
    const apr = await runInvoicePeriod(ctx, { period: '2026-04', tenantId: ten.id, dryRun: true, lateUsageLookback: 2 });
    expect(apr.invoices[0].lines.filter((l) => l.kind === 'adjustment').map((l) => l.amount)).toEqual([100n]);
  });
});
