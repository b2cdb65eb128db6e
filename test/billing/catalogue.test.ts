// Catalogue verbs and the database rules behind them: tenants, plans, VM assignment history without overlaps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { rows, sql } from '../../src/db/client.ts';
import { assignVm, getPlan, getTenant, listAssignments, listPlans, listTenants, BillingError } from '../../src/billing/index.ts';
import { ctxFor, dbError, makeVm, plan, tenant } from './fixtures.ts';

describe('catalogue (both databases)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t.close());

  it('creates and lists tenants with exact tax rates and validated fields', async () => {
    const ctx = ctxFor(t.db);
    const a = await tenant(ctx, { company: 'Acme', taxRatePercent: '7.7', pricesIncludeTax: true, billingDay: 15, timezone: 'Europe/Zurich', paymentProvider: 'stripe', providerCustomerRef: 'cus_123', currency: 'CHF' });
    expect(await getTenant(ctx, a.id)).toMatchObject({ company: 'Acme', taxRatePercent: '7.7000', pricesIncludeTax: true, billingDay: 15, timezone: 'Europe/Zurich', status: 'active' });
    expect((await listTenants(ctx)).map((x) => x.id)).toContain(a.id);
    await expect(tenant(ctx, { billingDay: 29 })).rejects.toThrow(/billingDay/);
    await expect(tenant(ctx, { currency: 'XXX' })).rejects.toThrow(/ISO 4217/);
    await expect(tenant(ctx, { timezone: 'Mars/Olympus' })).rejects.toThrow(/IANA timezone/);
    await expect(tenant(ctx, { taxRatePercent: '0.19e2' })).rejects.toThrow(/exact decimal/);
    await expect(getTenant(ctx, '00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('the database refuses an out-of-range billing day even without the verb', async () => {
    expect(await dbError(rows(t.db, sql`insert into tenants (company, billing_email, currency, billing_day) values ('x', 'x@example.test', 'EUR', 31)`))).toMatch(/tenants_billing_day/);
  });

  it('creates plans with graduated tiers and rejects malformed ones', async () => {
    const ctx = ctxFor(t.db);
    const p = await plan(ctx, {
      name: 'vps-s', basePrice: '500',
      components: [{ component: 'cpu_hours', included: '10', tiers: [{ upTo: '100', unitPrice: '0.01' }, { upTo: null, unitPrice: '0.005' }] }],
      bandwidth: { model: 'p95', pricePerMbps: '1.5' },
    });
    expect(p.basePrice).toBe(500n);
    expect(p.bandwidth).toEqual({ model: 'p95', pricePerMbps: '1.5', includedMbps: '0' });
    expect((await getPlan(ctx, 'vps-s')).id).toBe(p.id);
    expect((await listPlans(ctx)).map((x) => x.name)).toContain('vps-s');
    await expect(plan(ctx, { name: 'vps-s' })).rejects.toMatchObject({ code: 'Conflict' });
    await expect(plan(ctx, { components: [{ component: 'cpu_hours', tiers: [{ upTo: '10', unitPrice: '1' }] }] })).rejects.toThrow(/last tier must be open-ended/);
    await expect(plan(ctx, { components: [{ component: 'cpu_hours', tiers: [{ upTo: '10', unitPrice: '1' }, { upTo: '5', unitPrice: '1' }, { upTo: null, unitPrice: '1' }] }] })).rejects.toThrow(/must be above/);
    await expect(plan(ctx, { bandwidth: { model: 'p95', pricePerMbps: '1' }, components: [{ component: 'network_out_gib', tiers: [{ upTo: null, unitPrice: '1' }] }] })).rejects.toThrow(/p95 plan/);
    await expect(plan(ctx, { components: [{ component: 'cpu_hours', tiers: [{ upTo: null, unitPrice: '-1' }] }] })).rejects.toThrow(/negative/);
  });

  it('assignVm closes the previous assignment at the given time and keeps history', async () => {
    const ctx = ctxFor(t.db);
    const [a, b] = [await tenant(ctx), await tenant(ctx)];
    const p = await plan(ctx);
    const vm = await makeVm(t.db, 'mover');
    await assignVm(ctx, { vmUuid: vm, tenantId: a.id, planId: p.id, from: new Date('2026-03-01T00:00:00Z') });
    await assignVm(ctx, { vmUuid: vm, tenantId: b.id, planId: p.id, from: new Date('2026-03-11T06:00:00Z') });
    const hist = await listAssignments(ctx, { vmUuid: vm });
    expect(hist.map((h) => [h.tenantId, h.validFrom.toISOString(), h.validTo?.toISOString() ?? null])).toEqual([
      [a.id, '2026-03-01T00:00:00.000Z', '2026-03-11T06:00:00.000Z'],
      [b.id, '2026-03-11T06:00:00.000Z', null],
    ]);
    await expect(assignVm(ctx, { vmUuid: vm, tenantId: a.id, planId: p.id, from: new Date('2026-03-05T00:00:00Z') })).rejects.toMatchObject({ code: 'Conflict' });
  });

  it('refuses a plan in another currency and unknown VMs', async () => {
    const ctx = ctxFor(t.db);
    const a = await tenant(ctx, { currency: 'EUR' });
    const usd = await plan(ctx, { currency: 'USD' });
    const vm = await makeVm(t.db, 'usd-vm');
    await expect(assignVm(ctx, { vmUuid: vm, tenantId: a.id, planId: usd.id, from: new Date('2026-03-01T00:00:00Z') })).rejects.toMatchObject({ code: 'CurrencyMismatch' });
    const eur = await plan(ctx);
    await expect(assignVm(ctx, { vmUuid: '6b1d1c0e-1111-4222-8333-944455556666', tenantId: a.id, planId: eur.id })).rejects.toBeInstanceOf(BillingError);
  });

  it('the database itself refuses overlapping assignments of one VM (trigger, both drivers)', async () => {
    const ctx = ctxFor(t.db);
    const a = await tenant(ctx);
    const p = await plan(ctx);
    const vm = await makeVm(t.db, 'overlap');
    const ins = (from: string, to: string | null) =>
      rows(t.db, sql`insert into vm_assignments (vm_uuid, tenant_id, plan_id, valid_from, valid_to)
                     values (${vm}::uuid, ${a.id}::uuid, ${p.id}::uuid, ${from}::timestamptz, ${to}::timestamptz)`);
    await ins('2026-03-01T00:00:00Z', '2026-03-10T00:00:00Z');
    await ins('2026-03-10T00:00:00Z', '2026-03-20T00:00:00Z'); // touching is fine: ranges are half-open
    expect(await dbError(ins('2026-03-09T23:00:00Z', '2026-03-10T01:00:00Z'))).toMatch(/overlapping/);
    expect(await dbError(ins('2026-03-15T00:00:00Z', null))).toMatch(/overlapping/);
    await ins('2026-03-20T00:00:00Z', null);
    expect(await dbError(ins('2026-04-01T00:00:00Z', null))).toMatch(/overlapping/);
    expect(await dbError(rows(t.db, sql`update vm_assignments set valid_to = '2026-03-12T00:00:00Z' where vm_uuid = ${vm}::uuid and valid_from = '2026-03-01T00:00:00Z'`))).toMatch(/overlapping/);
  });
});
