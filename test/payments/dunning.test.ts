// Dunning over simulated weeks with a ManualClock: past due, autopay retries on DUNNING_RETRY_DAYS (each a
// new idempotency key, one Stripe request each), suspension through the host adapter after the grace
// period, resumption after payment, and every step in dunning_events exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/log.ts';
import { vms } from '../../src/db/schema/hosts.ts';
import { invoices } from '../../src/db/schema/billing.ts';
import { dunningEvents, dunningStates } from '../../src/db/schema/payments.ts';
import { addHost } from '../../src/hosts/registry.ts';
import { createAdapterProvider } from '../../src/hosts/provider.ts';
import { createSimFleet, type SimFleet } from '../../src/hosts/sim/fleet.ts';
import { assignVm } from '../../src/billing/catalogue/assign-vm.ts';
import { createPlan } from '../../src/billing/catalogue/plans.ts';
import { chargeInvoice, savePaymentMethod } from '../../src/billing/payments/charge.ts';
import { handleWebhook } from '../../src/billing/payments/webhooks.ts';
import { runDunning } from '../../src/billing/dunning/run.ts';
import type { PaymentsDeps } from '../../src/billing/payments/deps.ts';
import { finalizedInvoice, startHarness, type Harness } from './support.ts';

const DAY = 86_400_000;
const QUIET = { rebootsPerDay: 0, shutdownsPerDay: 0, migrationsPerDay: 0, hostOutagesPerDay: 0 };

let h: Harness;
let fleet: SimFleet;
let deps: PaymentsDeps;
beforeAll(async () => {
  h = await startHarness();
  h.stripe.sink = (raw, headers) => handleWebhook(h.deps, 'stripe', raw, headers).then((r) => r.status);
  fleet = createSimFleet({ seed: 42, start: h.clock.now(), hosts: 2, vmsPerHost: 2, events: QUIET });
  const config = loadConfig({});
  deps = { ...h.deps, hosts: createAdapterProvider({ fleet, clock: h.clock, config, log: silentLogger }) };
  const seen = h.clock.now();
  for (const name of fleet.hostNames) {
    const host = await addHost(h.deps.db, { name, adapter: 'sim' });
    for (const vm of fleet.vms.filter((v) => fleet.status(v.uuid).host === name)) {
      await h.deps.db.insert(vms).values({ uuid: vm.uuid, name: vm.name, hostId: host.id, domid: fleet.status(vm.uuid).domid, state: 'running', vcpus: vm.vcpus, memoryMiB: vm.memMiB, firstSeenAt: seen, lastSeenAt: seen });
    }
  }
});
afterAll(() => h.close());

/** Move our clock and the simulated fleet together (a shutdown takes the sim a few seconds). */
function advance(ms: number): void {
  h.clock.set(new Date(h.clock.now().getTime() + ms));
  fleet.advanceTo(h.clock.now());
}

async function events(invoiceId: string) {
  return h.deps.db.select().from(dunningEvents).where(eq(dunningEvents.invoiceId, invoiceId)).orderBy(asc(dunningEvents.id));
}

function intentPosts(invoiceId: string) {
  return h.stripe.posts('/v1/payment_intents').filter((q) => (q.body.metadata as Record<string, string>).invoice_id === invoiceId);
}

describe('dunning', () => {
  it('past due → retries on days 1, 3, 7 with fresh keys → suspension after the grace period → resume after payment', async () => {
    const dueAt = new Date(h.clock.now().getTime() + DAY);
    const { tenantId, invoiceId } = await finalizedInvoice(h, { total: 4_200n, dueAt });
    await savePaymentMethod(h.deps, { tenantId, provider: 'stripe', customerId: 'cus_dunning', paymentMethodId: 'pm_card_chargeDeclined', autopay: true });
    const plan = await createPlan({ db: h.deps.db, clock: h.clock }, { name: 'dunning-plan', currency: 'USD', basePrice: 500n });
    // Two of the fleet's VMs belong to this tenant; the others must be left alone.
    const mine = fleet.vms.slice(0, 2).map((v) => v.uuid);
    const others = fleet.vms.slice(2).map((v) => v.uuid);
    for (const vmUuid of mine) await assignVm({ db: h.deps.db, clock: h.clock }, { vmUuid, tenantId, planId: plan.id, from: h.clock.now() });

    // Before the due date nothing happens.
    expect(await runDunning(deps)).toEqual({ pastDue: 0, retried: 0, suspended: 0, resumed: 0 });
    expect(await events(invoiceId)).toHaveLength(0);

    // Run the daily job for 12 days after the due date (at 06:00 UTC, as the cron does).
    advance(dueAt.getTime() - h.clock.now().getTime() + 6 * 3_600_000);
    const requestsByDay = new Map<number, string[]>();
    for (let day = 0; day <= 12; day++) {
      const before = intentPosts(invoiceId).length;
      const r = await runDunning(deps);
      if (day === 0) expect(r.pastDue).toBe(1);
      requestsByDay.set(day, intentPosts(invoiceId).slice(before).map((q) => q.headers['idempotency-key']!));
      if (day < 12) advance(DAY);
    }
    // Exactly one Stripe request on each retry day, none on other days, each under a new key.
    const retryDays = [...requestsByDay].filter(([, keys]) => keys.length > 0);
    expect(retryDays).toEqual([
      [1, [`inv_${invoiceId}_attempt_1`]],
      [3, [`inv_${invoiceId}_attempt_2`]],
      [7, [`inv_${invoiceId}_attempt_3`]],
    ]);
    const [st] = await h.deps.db.select().from(dunningStates).where(eq(dunningStates.invoiceId, invoiceId));
    expect(st).toMatchObject({ retries: 3, nextRetryAt: null, resolvedAt: null });
    // Suspended 10 days after it became past due (day 10): the tenant's VMs only, through the adapter.
    expect(st.suspendedAt?.toISOString()).toBe(new Date(dueAt.getTime() + 6 * 3_600_000 + 10 * DAY).toISOString());
    expect([...st.suspendedVms].sort()).toEqual([...mine].sort());
    for (const u of mine) expect(fleet.status(u).running).toBe(false);
    for (const u of others) expect(fleet.status(u).running).toBe(true);

    // The tenant fixes the card; one more charge (attempt 4) pays, the next run starts the VMs again.
    await savePaymentMethod(h.deps, { tenantId, provider: 'stripe', customerId: 'cus_dunning', paymentMethodId: 'pm_card_visa', autopay: true });
    advance(3_600_000);
    expect((await chargeInvoice(h.deps, { invoiceId })).outcome).toBe('captured');
    expect(intentPosts(invoiceId).at(-1)!.headers['idempotency-key']).toBe(`inv_${invoiceId}_attempt_4`);
    const [inv] = await h.deps.db.select().from(invoices).where(eq(invoices.id, invoiceId));
    expect(inv.status).toBe('paid');
    advance(DAY);
    expect(await runDunning(deps)).toMatchObject({ resumed: 1, retried: 0, suspended: 0 });
    for (const u of mine) expect(fleet.status(u).running).toBe(true);
    const [after] = await h.deps.db.select().from(dunningStates).where(eq(dunningStates.invoiceId, invoiceId));
    expect(after).toMatchObject({ suspendedAt: null, suspendedVms: [] });
    expect(after.resolvedAt).not.toBeNull();

    // Every step is visible, once, in order; re-running changes nothing.
    const log = await events(invoiceId);
    expect(log.map((e) => e.kind)).toEqual(['past_due', 'retry_failed', 'retry_failed', 'retry_failed', 'suspended', 'paid', 'resumed']);
    expect(log.every((e) => e.tenantId === tenantId)).toBe(true);
    expect(log[1].message).toContain('Payment retry 1 failed');
    expect(log[3].message).toContain('No more automatic retries');
    expect(log[4].message).toBe('2 VM(s) shut down for non-payment.');
    const posts = intentPosts(invoiceId).length;
    advance(DAY);
    expect(await runDunning(deps)).toEqual({ pastDue: 0, retried: 0, suspended: 0, resumed: 0 });
    expect(await events(invoiceId)).toHaveLength(log.length);
    expect(intentPosts(invoiceId)).toHaveLength(posts);
  });

  it('a retry that succeeds resolves dunning before any suspension', async () => {
    const dueAt = new Date(h.clock.now().getTime() + DAY);
    const { tenantId, invoiceId } = await finalizedInvoice(h, { total: 990n, dueAt });
    await savePaymentMethod(h.deps, { tenantId, provider: 'stripe', customerId: 'cus_ok_later', paymentMethodId: 'pm_card_visa', autopay: true });
    // Noticed late (due + 2 days): the first retry (due + 1 day) is already due, so the same run charges.
    advance(2 * DAY);
    expect(await runDunning(deps)).toMatchObject({ pastDue: 1, retried: 1, suspended: 0 });
    expect(intentPosts(invoiceId).map((q) => q.headers['idempotency-key'])).toEqual([`inv_${invoiceId}_attempt_1`]);
    const [inv] = await h.deps.db.select().from(invoices).where(eq(invoices.id, invoiceId));
    expect(inv.status).toBe('paid');
    expect((await events(invoiceId)).map((e) => e.kind)).toEqual(['past_due', 'paid', 'retry_succeeded']);
    advance(20 * DAY);
    expect(await runDunning(deps)).toEqual({ pastDue: 0, retried: 0, suspended: 0, resumed: 0 });
  });
});
