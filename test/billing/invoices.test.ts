// Invoice runs against the database: conservation against hour buckets, assignment history, numbering, re-runs, dry runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { rows, sql, type Db } from '../../src/db/client.ts';
import {
  assignVm, createDraft, finalizeInvoice, getInvoice, listInvoices, runInvoicePeriod, COMPONENTS, Decimal, type ComponentName,
} from '../../src/billing/index.ts';
import { ctxFor, fillHours, GIB, makeVm, MARCH, plan, tenant } from './fixtures.ts';
import { loadHourSums } from '../../src/billing/rating/load.ts';

/** Hour buckets whose values vary with the hour index, so sums are not trivially constant × hours. */
async function fillVarying(db: Db, vm: string, from: string, to: string, seed: number): Promise<void> {
  await rows(
    db,
    sql`insert into usage_hour (vm_uuid, bucket, cpu_seconds, vcpu_seconds, mem_mib_seconds, disk_read_bytes, disk_write_bytes, net_rx_bytes, net_tx_bytes, uptime_seconds, samples)
        select ${vm}::uuid, g, (n * ${seed} * 37) % 7200, ((n * 13) % 3600)::numeric + 0.125, (n * 2048 * 3600)::numeric + 0.5,
               n * 1000003 * ${seed}, n * 777 * ${seed}, n * 123456789, (n % 17) * 98765432 * ${seed}, 3600, 60
        from (select g, row_number() over (order by g) as n
              from generate_series(${from}::timestamptz, ${to}::timestamptz - interval '1 hour', interval '1 hour') g) s`,
  );
}

const ALL_COMPONENTS = (Object.keys(COMPONENTS) as ComponentName[]).map((component) => ({
  component, included: '1', tiers: [{ upTo: '1000', unitPrice: '0.0137' }, { upTo: null, unitPrice: '0.0071' }],
}));

describe('invoice runs (both databases)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t.close());

  it('conserves usage: billed quantities equal the hour-bucket sums for the same VMs and hours', async () => {
    const ctx = ctxFor(t.db);
    const ten = await tenant(ctx);
    const p = await plan(ctx, { components: ALL_COMPONENTS });
    const vms = [await makeVm(t.db, 'c-1'), await makeVm(t.db, 'c-2')];
    await assignVm(ctx, { vmUuid: vms[0], tenantId: ten.id, planId: p.id, from: new Date(MARCH.from) });
    await assignVm(ctx, { vmUuid: vms[1], tenantId: ten.id, planId: p.id, from: new Date('2026-03-10T05:00:00Z') });
    // Usage also before and after the period: it must not be billed in March.
    await fillVarying(t.db, vms[0], '2026-02-20T00:00:00Z', '2026-04-05T00:00:00Z', 3);
    await fillVarying(t.db, vms[1], '2026-03-01T00:00:00Z', '2026-04-05T00:00:00Z', 5);
    await runInvoicePeriod(ctx, { period: '2026-03', tenantId: ten.id });
    const [inv] = await listInvoices(ctx, { tenantId: ten.id, period: '2026-03' });
    const full = await getInvoice(ctx, inv.id);
    const ranges: Record<string, [string, string]> = { [vms[0]]: [MARCH.from, MARCH.to], [vms[1]]: ['2026-03-10T05:00:00Z', MARCH.to] };
    for (const vm of vms) {
      const [truth] = await rows<Record<string, string>>(
        t.db,
        sql`select sum(cpu_seconds)::text as cpu_hours, sum(vcpu_seconds)::text as vcpu_hours, sum(mem_mib_seconds)::text as memory_gib_hours,
                   sum(disk_read_bytes)::text as disk_read_gib, sum(disk_write_bytes)::text as disk_write_gib,
                   sum(net_rx_bytes)::text as network_in_gib, sum(net_tx_bytes)::text as network_out_gib
            from usage_hour where vm_uuid = ${vm}::uuid and bucket >= ${ranges[vm][0]}::timestamptz and bucket < ${ranges[vm][1]}::timestamptz`,
      );
      const billed = await rows<{ component: string; raw: string }>(
        t.db,
        sql`select component, raw_quantity::text as raw from invoice_usage where invoice_id = ${inv.id}::uuid and vm_uuid = ${vm}::uuid`,
      );
      expect(billed).toHaveLength(7);
      for (const b of billed) {
        expect(Decimal.parse(b.raw).eq(truth[b.component]), `${vm} ${b.component}`).toBe(true);
        // The lines (included + tiers) add up to the same quantity in display units.
        const divisor = COMPONENTS[b.component as ComponentName].divisor;
        const shown = full.lines.filter((l) => l.vmUuid === vm && l.component === b.component).reduce((a, l) => a.add(l.quantity), Decimal.ZERO);
        const diff = shown.sub(Decimal.parse(truth[b.component]).divRound(divisor, 12));
        expect(diff.cmp('-0.000001') >= 0 && diff.cmp('0.000001') <= 0, `${b.component} shown ${shown} vs ${truth[b.component]}`).toBe(true);
      }
    }
    expect(full.lines.reduce((a, l) => a + l.amount, 0n)).toBe(full.subtotal);
    expect(full.total).toBe(full.subtotal + full.tax);
  });

  it('bills a VM moved mid-month to each tenant for its own hours; base parts sum to the monthly price', async () => {
    const ctx = ctxFor(t.db);
    const [a, b] = [await tenant(ctx), await tenant(ctx)];
    const p = await plan(ctx, { basePrice: 1001n, components: [{ component: 'cpu_hours', tiers: [{ upTo: null, unitPrice: '1' }] }] });
    const vm = await makeVm(t.db, 'moved');
    await assignVm(ctx, { vmUuid: vm, tenantId: a.id, planId: p.id, from: new Date('2026-02-20T00:00:00Z') });
    await assignVm(ctx, { vmUuid: vm, tenantId: b.id, planId: p.id, from: new Date('2026-03-11T07:00:00Z') });
    await fillHours(t.db, vm, MARCH.from, MARCH.to, { cpuSeconds: 3600n });
    await runInvoicePeriod(ctx, { period: '2026-03', tenantId: a.id });
    await runInvoicePeriod(ctx, { period: '2026-03', tenantId: b.id });
    const inv = async (tid: string) => getInvoice(ctx, (await listInvoices(ctx, { tenantId: tid }))[0].id);
    const [ia, ib] = [await inv(a.id), await inv(b.id)];
    const hoursA = 10 * 24 + 7;
    const cpu = (i: typeof ia) => i.lines.filter((l) => l.component === 'cpu_hours').reduce((s, l) => s.add(l.quantity), Decimal.ZERO).toString();
    expect(cpu(ia)).toBe(String(hoursA));
    expect(cpu(ib)).toBe(String(744 - hoursA));
    const base = (i: typeof ia) => i.lines.find((l) => l.kind === 'base')!.amount;
    expect(base(ia) + base(ib)).toBe(1001n);
    // 1001 × 247/744 = 332.32 and 1001 × 497/744 = 668.68: floors 332 + 668, the spare unit goes to the larger remainder.
    expect([base(ia), base(ib)]).toEqual([332n, 669n]);
    expect(ia.lines.every((l) => l.vmUuid === vm)).toBe(true);
  });

  it('finalizes with gapless numbers; re-running a period changes nothing finalized and replaces drafts', async () => {
    const ctx = ctxFor(t.db, '2026-04-02T10:00:00Z');
    const p = await plan(ctx, { basePrice: 2500n, components: [{ component: 'network_out_gib', tiers: [{ upTo: null, unitPrice: '0.05' }] }] });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ten = await tenant(ctx, { company: `Numbered ${i}`, billingDay: 5 });
      const vm = await makeVm(t.db, `n-${i}`);
      await assignVm(ctx, { vmUuid: vm, tenantId: ten.id, planId: p.id, from: new Date('2026-01-01T00:00:00Z') });
      await fillHours(t.db, vm, '2026-03-05T00:00:00Z', '2026-04-05T00:00:00Z', { netTxBytes: GIB });
      ids.push(ten.id);
    }
    const drafts = await Promise.all(ids.map((id) => createDraft(ctx, { tenantId: id, period: '2026-03' })));
    expect(drafts.every((d) => d.status === 'draft' && d.number === null)).toBe(true);
    const f0 = await finalizeInvoice(ctx, { invoiceId: drafts[0].id });
    const f1 = await finalizeInvoice(ctx, { invoiceId: drafts[1].id });
    expect([f0.number, f1.number]).toEqual(['KZ-2026-000001', 'KZ-2026-000002'].map((n) => n));
    await expect(finalizeInvoice(ctx, { invoiceId: drafts[0].id })).rejects.toMatchObject({ code: 'InvoiceNotDraft' });

    // More usage arrives for tenant 0 (finalized) and tenant 2 (draft): re-run replaces only the draft.
    for (const id of [ids[0], ids[2]]) {
      const [a] = await rows<{ vm: string }>(t.db, sql`select vm_uuid::text as vm from vm_assignments where tenant_id = ${id}::uuid`);
      await rows(t.db, sql`update usage_hour set net_tx_bytes = net_tx_bytes * 2 where vm_uuid = ${a.vm}::uuid`);
    }
    const before0 = await getInvoice(ctx, drafts[0].id);
    const r = await runInvoicePeriod(ctx, { period: '2026-03', tenantId: undefined });
    expect(r.kept).toBe(2); // other tests' tenants in this database only have drafts
    expect(r.replaced).toBeGreaterThanOrEqual(1);
    const after0 = await getInvoice(ctx, drafts[0].id);
    expect(after0).toEqual(before0);
    const after2 = await getInvoice(ctx, drafts[2].id);
    expect(after2.subtotal).toBe(drafts[2].subtotal + 744n * 5n);
    const f2 = await finalizeInvoice(ctx, { invoiceId: drafts[2].id });
    expect(f2.number).toBe('KZ-2026-000003');
    expect(f2.periodStart.toISOString()).toBe('2026-03-05T00:00:00.000Z');
    expect(f2.dueAt!.toISOString()).toBe('2026-04-16T10:00:00.000Z');
  });

  it('a dry run returns the same lines as a real run without writing anything', async () => {
    const ctx = ctxFor(t.db);
    const ten = await tenant(ctx, { currency: 'JPY', taxRatePercent: '10' });
    const p = await plan(ctx, { currency: 'JPY', basePrice: 1500n, components: [{ component: 'memory_gib_hours', included: '100', tiers: [{ upTo: null, unitPrice: '0.37' }] }] });
    const vm = await makeVm(t.db, 'yen');
    await assignVm(ctx, { vmUuid: vm, tenantId: ten.id, planId: p.id, from: new Date(MARCH.from) });
    await fillHours(t.db, vm, MARCH.from, MARCH.to, { memMibSeconds: String(2048 * 3600) });
    const dry = await runInvoicePeriod(ctx, { period: '2026-03', tenantId: ten.id, dryRun: true });
    expect(await listInvoices(ctx, { tenantId: ten.id })).toEqual([]);
    const real = await runInvoicePeriod(ctx, { period: '2026-03', tenantId: ten.id, collect: true });
    const strip = (r: typeof dry) => r.invoices.map((i) => ({ ...i, lines: i.lines.map((l) => ({ ...l, quantity: l.quantity.toString(), unitPrice: l.unitPrice.toString() })), usage: i.usage.length }));
    expect(strip(dry)).toEqual(strip(real));
    // 1488 GiB-h − 100 included = 1388 × 0.37 = 513.56 → 514 yen; base 1500; tax 10 % of 2014 = 201.4 → 201
    expect([dry.invoices[0].subtotal, dry.invoices[0].tax, dry.invoices[0].total]).toEqual([2014n, 201n, 2215n]);
    const [stored] = await listInvoices(ctx, { tenantId: ten.id });
    expect([stored.subtotal, stored.tax, stored.total]).toEqual([2014n, 201n, 2215n]);
  });

  it('prices KWD (3 decimals) with inclusive tax extracted from the subtotal', async () => {
    const ctx = ctxFor(t.db);
    const ten = await tenant(ctx, { currency: 'KWD', taxRatePercent: '5', pricesIncludeTax: true });
    const p = await plan(ctx, { currency: 'KWD', basePrice: 10500n, components: [{ component: 'disk_read_gib', tiers: [{ upTo: null, unitPrice: '0.0015' }] }] });
    const vm = await makeVm(t.db, 'kwd');
    await assignVm(ctx, { vmUuid: vm, tenantId: ten.id, planId: p.id, from: new Date(MARCH.from) });
    await fillHours(t.db, vm, MARCH.from, MARCH.to, { diskReadBytes: 3n * GIB });
    const inv = await createDraft(ctx, { tenantId: ten.id, period: '2026-03' });
    // 2232 GiB × 0.0015 = 3.348 KWD = 3348 fils; subtotal 13848; tax = 13848 × 5/105 = 659.43 → 659; total = subtotal.
    expect([inv.subtotal, inv.tax, inv.total, inv.taxInclusive]).toEqual([13848n, 659n, 13848n, true]);
  });

  it('sums a whole-period group of VMs like the per-range join does (both aggregate paths agree)', async () => {
    const vms: string[] = [];
    for (let i = 0; i < 70; i++) {
      const vm = await makeVm(t.db, `grp-${i}`);
      await fillVarying(t.db, vm, '2026-05-01T00:00:00Z', '2026-05-03T00:00:00Z', i + 1);
      vms.push(vm);
    }
    const ranges = vms.map((vm, i) => ({ assignmentId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, vmUuid: vm, start: new Date('2026-05-01T00:00:00Z'), end: new Date('2026-05-02T05:00:00Z') }));
    const grouped = await loadHourSums(t.db, ranges);
    const oneByOne = new Map();
    for (const r of ranges) for (const [k, v] of await loadHourSums(t.db, [r])) oneByOne.set(k, v);
    expect(grouped.size).toBe(70);
    for (const r of ranges) {
      for (const c of Object.keys(COMPONENTS)) expect(grouped.get(r.assignmentId)!.get(c)!.eq(oneByOne.get(r.assignmentId).get(c))).toBe(true);
    }
    expect(grouped.get(ranges[69].assignmentId)!.get('cpu_hours')!.isZero()).toBe(false);
  });

  it('skips tenants with nothing assigned in the period and removes their stale drafts', async () => {
    const ctx = ctxFor(t.db);
    const ten = await tenant(ctx);
    const r = await runInvoicePeriod(ctx, { period: '2026-03', tenantId: ten.id });
    expect([r.tenantsConsidered, r.tenantsRated, r.created]).toEqual([1, 0, 0]);
    await expect(createDraft(ctx, { tenantId: ten.id, period: '2026-03' })).rejects.toMatchObject({ code: 'NotFound' });
  });
});
