// Billing jobs: the invoice run on each tenant's billing day, dunning and tithe settlement, each under its
// advisory lock. Re-runs change nothing; on PostgreSQL two replicas (two pools) racing do the work once.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config.ts';
import type { AppContext } from '../../src/context.ts';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { vms } from '../../src/db/schema/hosts.ts';
import { invoices } from '../../src/db/schema/billing.ts';
import { dunningEvents, titheSettlements, payments } from '../../src/db/schema/payments.ts';
import { addHost } from '../../src/hosts/registry.ts';
import { HostError } from '../../src/hosts/types.ts';
import { createTenant } from '../../src/billing/catalogue/tenants.ts';
import { createPlan } from '../../src/billing/catalogue/plans.ts';
import { assignVm } from '../../src/billing/catalogue/assign-vm.ts';
import { chargeInvoice, savePaymentMethod } from '../../src/billing/payments/charge.ts';
import type { PaymentProvider } from '../../src/billing/payments/provider.ts';
import { runBillingJob } from '../../src/jobs/billing-jobs.ts';
import { finalizedInvoice, startHarness, type Harness } from './support.ts';

const DAY = 86_400_000;
const PGLITE = inject('testDb').kind === 'pglite';
if (PGLITE) console.info('jobs.test: the two-replica races need two connections; they are skipped on PGlite (run with TEST_DATABASE_URL)');

let h: Harness;
let ctx: AppContext;
beforeAll(async () => {
  h = await startHarness();
  ctx = {
    db: h.deps.db,
    clock: h.clock,
    log: h.deps.log,
    config: { ...loadConfig({}), payments: h.deps.payments },
    hosts: { adapterFor: () => { throw new HostError('HostUnreachable', 'no hosts in the jobs test'); }, forget: async () => {}, closeAll: async () => {} },
    payments: h.deps.providers,
  };
});
afterAll(() => h.close());

async function tenantWithVm(billingDay: number, from: Date) {
  const b = { db: h.deps.db, clock: h.clock };
  const tenant = await createTenant(b, { company: `Day${billingDay} ${randomUUID().slice(0, 6)}`, billingEmail: 'ap@example.com', currency: 'USD', billingDay });
  const plan = await createPlan(b, { name: `p-${randomUUID().slice(0, 6)}`, currency: 'USD', basePrice: 3_100n });
  const host = await addHost(h.deps.db, { name: `jobs-${randomUUID().slice(0, 6)}`, adapter: 'sim' });
  const uuid = randomUUID();
  await h.deps.db.insert(vms).values({ uuid, name: 'vm', hostId: host.id, domid: 1, state: 'running', vcpus: 1, memoryMiB: 1024, firstSeenAt: from, lastSeenAt: from });
  await assignVm(b, { vmUuid: uuid, tenantId: tenant.id, planId: plan.id, from });
  return tenant;
}

const tenantInvoices = (tenantId: string) => h.deps.db.select().from(invoices).where(eq(invoices.tenantId, tenantId));
const at = (iso: string) => h.clock.set(new Date(iso));

/** Replace one provider method with a version that waits at a gate, to hold a job inside its lock. */
function gate<K extends 'chargeOffSession' | 'settleTithe'>(p: PaymentProvider, key: K) {
  const real = p[key].bind(p) as PaymentProvider[K];
  let entered!: () => void;
  let release!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  const open = new Promise<void>((r) => (release = r));
  const calls: string[] = [];
  p[key] = (async (req: { idempotencyKey: string }) => {
    calls.push(req.idempotencyKey);
    entered();
    await open;
    return (real as (r: typeof req) => Promise<unknown>)(req);
  }) as PaymentProvider[K];
  return { inside, release, calls, restore: () => void (p[key] = real) };
}

describe('invoice run', () => {
  it('invoices a tenant on its billing day only, finalized, and a re-run changes nothing', async () => {
    at('2026-03-05T00:00:00Z');
    const t5 = await tenantWithVm(5, new Date('2026-03-05T00:00:00Z'));
    const t6 = await tenantWithVm(6, new Date('2026-03-05T00:00:00Z'));
    at('2026-04-04T00:10:00Z');
    expect((await runBillingJob(ctx, 'invoiceRun')).ran).toBe(true);
    expect(await tenantInvoices(t5.id)).toHaveLength(0);

    at('2026-04-05T00:10:00Z');
    const r = await runBillingJob(ctx, 'invoiceRun');
    expect(r).toMatchObject({ ran: true, result: { tenants: 1, period: '2026-03' } });
    const [inv, ...more] = await tenantInvoices(t5.id);
    expect(more).toHaveLength(0);
    expect(inv).toMatchObject({ period: '2026-03', status: 'finalized', currency: 'USD' });
    expect(inv.number).toMatch(/^KZ-2026-\d{6}$/);
    expect(inv.periodStart.toISOString()).toBe('2026-03-05T00:00:00.000Z');
    expect(inv.total > 0n).toBe(true);
    expect(await tenantInvoices(t6.id)).toHaveLength(0);

    at('2026-04-05T03:00:00Z');
    await runBillingJob(ctx, 'invoiceRun');
    expect(await tenantInvoices(t5.id)).toEqual([inv]);
  });
});

describe('dunning and tithe settlement jobs', () => {
  it('a re-run the same day changes nothing', async () => {
    at('2026-05-01T06:00:00Z');
    const over = await finalizedInvoice(h, { total: 1_234n, dueAt: new Date('2026-04-29T00:00:00Z') });
    await savePaymentMethod(h.deps, { tenantId: over.tenantId, provider: 'stripe', customerId: 'cus_job1', paymentMethodId: 'pm_card_chargeDeclined', autopay: true });
    const paid = await finalizedInvoice(h, { total: 8_000n });
    await savePaymentMethod(h.deps, { tenantId: paid.tenantId, provider: 'stripe', customerId: 'cus_job2', paymentMethodId: 'pm_card_visa', autopay: true });
    expect((await chargeInvoice(h.deps, { invoiceId: paid.invoiceId })).outcome).toBe('captured');

    // (The invoice-run test's invoice is overdue by now too: it is dunned alongside.)
    expect((await runBillingJob(ctx, 'dunning')).ran).toBe(true);
    const kinds = (await h.deps.db.select().from(dunningEvents).where(eq(dunningEvents.invoiceId, over.invoiceId))).map((e) => e.kind);
    expect(kinds).toEqual(['past_due', 'retry_failed']);
    expect(await runBillingJob(ctx, 'titheSettlement')).toMatchObject({ ran: true, result: { created: 1, sent: 1 } });
    const snapshot = async () => ({
      events: (await h.deps.db.select().from(dunningEvents)).length,
      attempts: (await h.deps.db.select().from(payments)).map((p) => `${p.idempotencyKey}:${p.status}`).sort(),
      settlements: (await h.deps.db.select().from(titheSettlements)).map((s) => `${s.idempotencyKey}:${s.status}`).sort(),
      stripePosts: h.stripe.requests.filter((q) => q.method === 'POST').length,
    });
    const before = await snapshot();
    expect(before.settlements).toHaveLength(1);
    h.clock.set(new Date('2026-05-01T06:30:00Z'));
    expect(await runBillingJob(ctx, 'dunning')).toMatchObject({ ran: true, result: { pastDue: 0, retried: 0, suspended: 0, resumed: 0 } });
    expect(await runBillingJob(ctx, 'titheSettlement')).toMatchObject({ ran: true, result: { created: 0, sent: 0, failed: 0 } });
    expect(await snapshot()).toEqual(before);
  });

  describe('two replicas (two connection pools to one database)', () => {
    let other: Database;
    let ctx2: AppContext;
    beforeAll(async () => {
      if (PGLITE) return;
      other = await openDatabase({ url: h.database.url!, max: 4 });
      ctx2 = { ...ctx, db: other.db };
    });
    afterAll(async () => other?.close());

    it.skipIf(PGLITE)('dunning: the second replica is refused the lock while the first charges; one Stripe request', async () => {
      at('2026-06-10T06:00:00Z');
      const { tenantId, invoiceId } = await finalizedInvoice(h, { total: 2_500n, dueAt: new Date('2026-06-08T00:00:00Z') });
      await savePaymentMethod(h.deps, { tenantId, provider: 'stripe', customerId: 'cus_race', paymentMethodId: 'pm_card_chargeDeclined', autopay: true });
      const g = gate(ctx.payments.get('stripe'), 'chargeOffSession');
      try {
        const first = runBillingJob(ctx, 'dunning');
        await g.inside;
        expect(await runBillingJob(ctx2, 'dunning')).toEqual({ ran: false });
        g.release();
        // Earlier tests' overdue invoices are dunned in the same run; this test looks at its own invoice.
        expect((await first).ran).toBe(true);
      } finally {
        g.restore();
      }
      expect(g.calls.filter((k) => k.includes(invoiceId))).toEqual([`inv_${invoiceId}_attempt_1`]);
      const posts = h.stripe.posts('/v1/payment_intents').filter((q) => (q.body.metadata as Record<string, string>).invoice_id === invoiceId);
      expect(posts).toHaveLength(1);
      const kinds = (await h.deps.db.select().from(dunningEvents).where(eq(dunningEvents.invoiceId, invoiceId))).map((e) => e.kind);
      expect(kinds).toEqual(['past_due', 'retry_failed']);
      // Afterwards the other replica may run: nothing is left to do today.
      expect(await runBillingJob(ctx2, 'dunning')).toEqual({ ran: true, result: { pastDue: 0, retried: 0, suspended: 0, resumed: 0 } });
      expect(h.stripe.posts('/v1/payment_intents').filter((q) => (q.body.metadata as Record<string, string>).invoice_id === invoiceId)).toHaveLength(1);
    });

    it.skipIf(PGLITE)('tithe settlement: one transfer per payment although two replicas run', async () => {
      at('2026-06-11T06:30:00Z');
      const { tenantId, invoiceId } = await finalizedInvoice(h, { total: 6_000n });
      await savePaymentMethod(h.deps, { tenantId, provider: 'stripe', customerId: 'cus_race2', paymentMethodId: 'pm_card_visa', autopay: true });
      const charged = await chargeInvoice(h.deps, { invoiceId });
      const transfersBefore = h.stripe.posts('/v1/transfers').length;
      const g = gate(ctx.payments.get('stripe'), 'settleTithe');
      try {
        const first = runBillingJob(ctx, 'titheSettlement');
        await g.inside;
        expect(await runBillingJob(ctx2, 'titheSettlement')).toEqual({ ran: false });
        g.release();
        expect(await first).toMatchObject({ ran: true, result: { created: 1, sent: 1, failed: 0 } });
      } finally {
        g.restore();
      }
      expect(g.calls).toHaveLength(1);
      expect(await runBillingJob(ctx2, 'titheSettlement')).toMatchObject({ ran: true, result: { created: 0, sent: 0 } });
      expect(h.stripe.posts('/v1/transfers').length - transfersBefore).toBe(1);
      const rows = await h.deps.db.select().from(titheSettlements).where(and(eq(titheSettlements.paymentId, charged.payment.id), eq(titheSettlements.status, 'sent')));
      expect(rows).toHaveLength(1);
      expect(rows[0].amount).toBe(600n);
    });

    it.skipIf(PGLITE)('invoice run: two replicas at once write one invoice', async () => {
      at('2026-06-01T00:00:00Z');
      const t = await tenantWithVm(7, new Date('2026-06-07T00:00:00Z'));
      at('2026-07-07T00:10:00Z');
      const [a, b] = await Promise.all([runBillingJob(ctx, 'invoiceRun'), runBillingJob(ctx2, 'invoiceRun')]);
      expect([a.ran, b.ran]).toContain(true);
      const list = await tenantInvoices(t.id);
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ period: '2026-06', status: 'finalized' });
    });
  });
});
