// Bandwidth models against the database: 95th percentile over a crafted 5-minute series, pooled allowances.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { rows, sql } from '../../src/db/client.ts';
import { assignVm, createDraft, Decimal } from '../../src/billing/index.ts';
import { ctxFor, fillHours, GIB, makeVm, plan, tenant } from './fixtures.ts';

const APRIL = { from: '2026-04-01T00:00:00Z', to: '2026-05-01T00:00:00Z' }; // 30 days = 8640 five-minute samples

describe('bandwidth models (both databases)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t.close());

  it('95th percentile: of 8640 samples the top 432 are discarded and the next one is billed', async () => {
    const ctx = ctxFor(t.db, '2026-05-02T00:00:00Z');
    const ten = await tenant(ctx, { currency: 'USD' });
    const p = await plan(ctx, { currency: 'USD', basePrice: 0n, bandwidth: { model: 'p95', pricePerMbps: '2.00', includedMbps: '5' } });
    const vm = await makeVm(t.db, 'p95');
    await assignVm(ctx, { vmUuid: vm, tenantId: ten.id, planId: p.id, from: new Date(APRIL.from) });
    // Sample n (1..8640): the 432 largest are bursts of 900 Mbit/s (in or out), the 433rd largest is 40 Mbit/s,
    // the rest 1..(8640−433) Mbit/s-ish small values. Bytes per 5 min for r Mbit/s = r × 300e6 / 8 = r × 37,500,000.
    await rows(
      t.db,
      sql`insert into usage_5min (vm_uuid, bucket, net_rx_bytes, net_tx_bytes, samples)
          select ${vm}::uuid, ${APRIL.from}::timestamptz + (n - 1) * interval '5 minutes',
                 case when n % 20 = 0 and n % 40 = 0 then 900 * 37500000::bigint when n = 7 then 40 * 37500000::bigint else (n % 30) * 1000000 end,
                 case when n % 20 = 0 and n % 40 <> 0 then 900 * 37500000::bigint else (n % 29) * 1000000 end,
                 5
          from generate_series(1, 8640) n`,
    );
    const [c] = await rows<{ n: number }>(t.db, sql`select count(*)::int as n from usage_5min where vm_uuid = ${vm}::uuid`);
    expect(c.n).toBe(8640);
    const inv = await createDraft(ctx, { tenantId: ten.id, period: '2026-04' });
    const line = inv.lines.find((l) => l.kind === 'p95')!;
    // 95th percentile = 40 Mbit/s; 35 above the 5 included × 2.00 = 70.00 USD
    expect(line.description).toContain('95th percentile 40 Mbit/s');
    expect([line.quantity, line.amount]).toEqual(['35.000000', 7000n]);
    const [snap] = await rows<{ raw: string }>(t.db, sql`select raw_quantity::text as raw from invoice_usage where invoice_id = ${inv.id}::uuid and component = 'bandwidth_p95'`);
    expect(Decimal.parse(snap.raw).eq(String(40n * 300_000_000n))).toBe(true);
  });

  it('95th percentile counts missing 5-minute buckets as zero samples', async () => {
    const ctx = ctxFor(t.db, '2026-05-02T00:00:00Z');
    const ten = await tenant(ctx, { currency: 'USD' });
    const p = await plan(ctx, { currency: 'USD', basePrice: 0n, bandwidth: { model: 'p95', pricePerMbps: '1' } });
    const vm = await makeVm(t.db, 'p95-sparse');
    await assignVm(ctx, { vmUuid: vm, tenantId: ten.id, planId: p.id, from: new Date(APRIL.from) });
    // Only 432 busy samples in the month: all fall in the discarded top 5 %, so the percentile is 0.
    await rows(t.db, sql`insert into usage_5min (vm_uuid, bucket, net_tx_bytes, samples)
                         select ${vm}::uuid, ${APRIL.from}::timestamptz + n * interval '1 hour', 100 * 37500000::bigint, 5 from generate_series(0, 431) n`);
    const inv = await createDraft(ctx, { tenantId: ten.id, period: '2026-04' });
    expect(inv.lines.find((l) => l.kind === 'p95')!.amount).toBe(0n);
    await rows(t.db, sql`insert into usage_5min (vm_uuid, bucket, net_tx_bytes, samples) values (${vm}::uuid, '2026-04-30T23:55:00Z', 3 * 37500000::bigint, 5)`);
    const again = await createDraft(ctx, { tenantId: ten.id, period: '2026-04' });
    expect(again.lines.find((l) => l.kind === 'p95')!.amount).toBe(300n); // the 433rd sample: 3 Mbit/s × 1.00
  });

  it('pools network allowances across 3 VMs and prices the overage once', async () => {
    const ctx = ctxFor(t.db, '2026-05-02T00:00:00Z');
    const ten = await tenant(ctx);
    const p = await plan(ctx, {
      basePrice: 500n,
      bandwidth: { model: 'pooled' },
      components: [
        { component: 'network_out_gib', included: '1000', tiers: [{ upTo: '5000', unitPrice: '0.01' }, { upTo: null, unitPrice: '0.005' }] },
        { component: 'cpu_hours', included: '0', tiers: [{ upTo: null, unitPrice: '0.001' }] },
      ],
    });
    const perHourGiB = [5n, 1n, 0n]; // 720 h → 3600, 720, 0 GiB = 4320 GiB against 3000 pooled
    for (const [i, g] of perHourGiB.entries()) {
      const vm = await makeVm(t.db, `pool-${i}`);
      await assignVm(ctx, { vmUuid: vm, tenantId: ten.id, planId: p.id, from: new Date(APRIL.from) });
      await fillHours(t.db, vm, APRIL.from, APRIL.to, { netTxBytes: g * GIB, cpuSeconds: 3600n });
    }
    const inv = await createDraft(ctx, { tenantId: ten.id, period: '2026-04' });
    const pooled = inv.lines.filter((l) => l.kind === 'pooled');
    expect(pooled.map((l) => [l.description, l.quantity, l.amount])).toEqual([
      [expect.stringContaining('pooled over 3 VMs'), '3000.000000', 0n],
      [expect.stringContaining('tier 1'), '1320.000000', 1320n],
    ]);
    expect(pooled.every((l) => l.vmUuid === null)).toBe(true);
    // CPU stays per VM: 720 h × 0.001 = 0.72 each; base 5.00 each.
    expect(inv.lines.filter((l) => l.kind === 'usage').map((l) => l.amount)).toEqual([72n, 72n, 72n]);
    expect(inv.subtotal).toBe(3n * 500n + 3n * 72n + 1320n);
  });
});
