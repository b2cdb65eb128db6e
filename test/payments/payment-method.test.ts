// Saved payment methods against the Stripe fake through the real SDK: Checkout in setup mode (customer made
// on demand, keys from our ids), the card saved by the verified webhook or by the return URL (whichever is
// first, once), replace and remove (detached at Stripe), and autopay after an invoice run: charged once
// however often the job runs, a decline handed to dunning.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config.ts';
import type { AppContext } from '../../src/context.ts';
import { auditLog } from '../../src/db/schema/auth.ts';
import { invoiceLines, invoices } from '../../src/db/schema/billing.ts';
import { vms } from '../../src/db/schema/hosts.ts';
import { dunningEvents, payments, webhookEvents } from '../../src/db/schema/payments.ts';
import { HostError } from '../../src/hosts/types.ts';
import { addHost } from '../../src/hosts/registry.ts';
import { createTenant } from '../../src/billing/catalogue/tenants.ts';
import { createPlan } from '../../src/billing/catalogue/plans.ts';
import { assignVm } from '../../src/billing/catalogue/assign-vm.ts';
import { chargeInvoice, startCheckout } from '../../src/billing/payments/charge.ts';
import { handleWebhook } from '../../src/billing/payments/webhooks.ts';
import { PaymentError } from '../../src/billing/payments/deps.ts';
import { getPaymentMethodState } from '../../src/billing/payments/methods/state.ts';
import { startMethodSetup } from '../../src/billing/payments/methods/start-setup.ts';
import { finishSetupOnReturn } from '../../src/billing/payments/methods/complete-setup.ts';
import { removePaymentMethod, setAutopay } from '../../src/billing/payments/methods/change.ts';
import { runBillingJob } from '../../src/jobs/billing-jobs.ts';
import { finalizedInvoice, startHarness, type Harness } from './support.ts';

const DAY = 86_400_000;
const OWNER = { userId: null, label: 'owner@test', ip: '127.0.0.9' };

let h: Harness;
let ctx: AppContext;
beforeAll(async () => {
  h = await startHarness();
  h.stripe.sink = (raw, headers) => handleWebhook(h.deps, 'stripe', raw, headers).then((r) => r.status);
  ctx = {
    db: h.deps.db,
    clock: h.clock,
    log: h.deps.log,
    config: { ...loadConfig({}), payments: h.deps.payments },
    hosts: { adapterFor: () => { throw new HostError('HostUnreachable', 'no hosts here'); }, forget: async () => {}, closeAll: async () => {} },
    payments: h.deps.providers,
  };
});
afterAll(() => h.close());
beforeEach(() => {
  h.stripe.autoDeliver = true;
  h.clock.set(new Date('2026-03-05T10:00:00Z'));
});

async function tenant(provider: 'stripe' | 'paypal' = 'stripe') {
  return createTenant({ db: h.deps.db, clock: h.clock }, { company: `PM ${randomUUID().slice(0, 8)}`, billingEmail: 'ap@pm.test', currency: 'EUR', paymentProvider: provider });
}

const sessionOf = (url: string) => /\/c\/pay\/(cs_test_\w+)$/.exec(url)![1];
const auditOf = async (tenantId: string) =>
  (await h.deps.db.select().from(auditLog).where(eq(auditLog.tenantId, tenantId))).map((a) => `${a.action}:${a.result}:${a.actorLabel}`).sort();

/** A tenant with a card saved through the whole flow (webhooks delivered). */
async function tenantWithCard(card: { last4?: string; declines?: boolean } = {}, autopay = true) {
  const t = await tenant();
  const s = await startMethodSetup(h.deps, { tenantId: t.id, autopay, who: OWNER });
  const { paymentMethod } = await h.stripe.completeSetup(sessionOf(s.redirectUrl), card);
  return { tenantId: t.id, setupId: s.setupId, pm: paymentMethod.id as string };
}

describe('starting a setup', () => {
  it('creates the Stripe customer on demand and a setup-mode Checkout Session, both keyed by our ids', async () => {
    const t = await tenant();
    const s = await startMethodSetup(h.deps, { tenantId: t.id, autopay: true, who: OWNER });
    const [cust] = h.stripe.posts('/v1/customers').filter((r) => r.body.metadata && (r.body.metadata as Record<string, string>).tenant_id === t.id);
    expect(cust.headers['idempotency-key']).toBe(`customer_${t.id}`);
    const [co] = h.stripe.posts('/v1/checkout/sessions').filter((r) => r.headers['idempotency-key'] === `setup_${s.setupId}`);
    expect(co.body).toMatchObject({
      mode: 'setup',
      currency: 'eur',
      allowed_payment_method_types: { 0: 'card' },
      metadata: { tenant_id: t.id, setup_id: s.setupId },
      setup_intent_data: { metadata: { tenant_id: t.id, setup_id: s.setupId } },
      success_url: `http://127.0.0.1:8080/payment-method/return?setup=${s.setupId}`,
    });
    expect(h.stripe.customers.has(String(co.body.customer))).toBe(true);
    expect(s.redirectUrl).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
    expect(await auditOf(t.id)).toEqual(['payment_method.setup:ok:owner@test']);
  });

  it('a second click while the page is valid returns the same page without asking Stripe', async () => {
    const t = await tenant();
    const a = await startMethodSetup(h.deps, { tenantId: t.id, autopay: true, who: OWNER });
    const posts = h.stripe.requests.filter((r) => r.method === 'POST').length;
    const b = await startMethodSetup(h.deps, { tenantId: t.id, autopay: false, who: OWNER });
    expect(b).toEqual(a);
    expect(h.stripe.requests.filter((r) => r.method === 'POST').length).toBe(posts);
    // Once it is about to expire a new one is opened (same customer: no second customer is created).
    h.clock.set(new Date(h.clock.now().getTime() + 23.9 * 3_600_000));
    const c = await startMethodSetup(h.deps, { tenantId: t.id, autopay: true, who: OWNER });
    expect(c.setupId).not.toBe(a.setupId);
    expect(h.stripe.posts('/v1/customers').filter((r) => r.headers['idempotency-key'] === `customer_${t.id}` && !r.replayed)).toHaveLength(1);
  });

  it('PayPal and manual tenants cannot save a method: said plainly, and PayPal is never asked', async () => {
    const p = await tenant('paypal');
    const state = await getPaymentMethodState(h.deps, p.id);
    expect(state).toMatchObject({ provider: 'paypal', hasMethod: false, autopay: false });
    expect(state.unavailableReason).toMatch(/Stripe \(card\) only/);
    const before = h.paypal.requests.length;
    await expect(startMethodSetup(h.deps, { tenantId: p.id, autopay: true, who: OWNER })).rejects.toMatchObject({ code: 'NotSupported' });
    await expect(setAutopay(h.deps, { tenantId: p.id, enabled: true, who: OWNER })).rejects.toMatchObject({ code: 'NotSupported' });
    expect(h.paypal.requests.length).toBe(before);
    const manual = await createTenant({ db: h.deps.db, clock: h.clock }, { company: 'Manual Co', billingEmail: 'ap@manual.test', currency: 'EUR' });
    expect((await getPaymentMethodState(h.deps, manual.id)).unavailableReason).toMatch(/bank transfer/);
    await expect(startMethodSetup(h.deps, { tenantId: manual.id, autopay: true, who: OWNER })).rejects.toMatchObject({ code: 'NotSupported' });
  });
});

describe('saving the card', () => {
  it('the verified webhooks save it with its display metadata, exactly once, and turn autopay on', async () => {
    const { tenantId, pm, setupId } = await tenantWithCard({ last4: '1881' });
    const state = await getPaymentMethodState(h.deps, tenantId);
    expect(state).toMatchObject({ hasMethod: true, autopay: true, card: { brand: 'visa', last4: '1881', expMonth: 12, expYear: 2030 }, cardExpired: false });
    // checkout.session.completed saved it; setup_intent.succeeded found it done.
    const outcomes = (await h.deps.db.select().from(webhookEvents)).filter((e) => e.type === 'checkout.session.completed' || e.type === 'setup_intent.succeeded').slice(-2).map((e) => e.outcome);
    expect(outcomes).toEqual(['setup_saved', 'setup_already']);
    // A replay of both events changes nothing; the return URL afterwards neither.
    for (const ev of h.stripe.events.slice(-2)) expect(await h.stripe.deliver(ev)).toBe(200);
    expect(await finishSetupOnReturn(h.deps, { tenantId, setupId, who: OWNER })).toBe('already');
    expect(await auditOf(tenantId)).toEqual(['autopay.enable:ok:stripe webhook', 'payment_method.save:ok:stripe webhook', 'payment_method.setup:ok:owner@test']);
    // The method is what Stripe attached to our customer; no card data was stored, only what is shown.
    expect(h.stripe.paymentMethods.get(pm)!.customer).toBeTruthy();
  });

  it('the return URL first (webhooks late) saves it by asking Stripe; the late webhooks are then no-ops', async () => {
    h.stripe.autoDeliver = false;
    const t = await tenant();
    const s = await startMethodSetup(h.deps, { tenantId: t.id, autopay: false, who: OWNER });
    expect(await finishSetupOnReturn(h.deps, { tenantId: t.id, setupId: s.setupId, who: OWNER })).toBe('pending');
    await h.stripe.completeSetup(sessionOf(s.redirectUrl), { brand: 'mastercard', last4: '4444', expMonth: 1, expYear: 2026 });
    const mark = h.stripe.requests.length;
    expect(await finishSetupOnReturn(h.deps, { tenantId: t.id, setupId: s.setupId, who: OWNER })).toBe('saved');
    // Session → SetupIntent → PaymentMethod.
    expect(h.stripe.requests.slice(mark).map((r) => `${r.method} ${r.path.replace(/\/[^/]+$/, '')}`)).toEqual(['GET /v1/checkout/sessions', 'GET /v1/setup_intents', 'GET /v1/payment_methods']);
    const state = await getPaymentMethodState(h.deps, t.id);
    expect(state).toMatchObject({ autopay: false, card: { brand: 'mastercard', last4: '4444', expMonth: 1, expYear: 2026 }, cardExpired: true });
    for (const ev of h.stripe.events.slice(-2)) expect(await h.stripe.deliver(ev)).toBe(200);
    expect(await auditOf(t.id)).toEqual(['payment_method.save:ok:owner@test', 'payment_method.setup:ok:owner@test']);
  });

  it("another tenant's setup id is NotFound before Stripe is asked", async () => {
    h.stripe.autoDeliver = false;
    const a = await tenant();
    const b = await tenant();
    const s = await startMethodSetup(h.deps, { tenantId: a.id, autopay: true, who: OWNER });
    await h.stripe.completeSetup(sessionOf(s.redirectUrl));
    const before = h.stripe.requests.length;
    await expect(finishSetupOnReturn(h.deps, { tenantId: b.id, setupId: s.setupId, who: OWNER })).rejects.toBeInstanceOf(PaymentError);
    await expect(finishSetupOnReturn(h.deps, { tenantId: b.id, setupId: 'not-a-uuid', who: OWNER })).rejects.toMatchObject({ code: 'NotFound' });
    expect(h.stripe.requests.length).toBe(before);
    expect((await getPaymentMethodState(h.deps, b.id)).hasMethod).toBe(false);
    expect((await getPaymentMethodState(h.deps, a.id)).hasMethod).toBe(false);
  });

  it('a setup event Stripe cannot describe is deferred (503, not recorded) so Stripe delivers it again', async () => {
    h.stripe.autoDeliver = false;
    const ev = await h.stripe.emit('setup_intent.succeeded', { id: 'seti_unknown0', object: 'setup_intent', status: 'succeeded', metadata: {}, payment_method: 'pm_x', customer: null });
    expect(await h.stripe.deliver(ev)).toBe(503);
    expect((await h.deps.db.select().from(webhookEvents).where(eq(webhookEvents.eventId, String(ev.id))))).toHaveLength(0);
  });

  it('replacing the card saves the new one and detaches the old one at Stripe with a key from our ids', async () => {
    const first = await tenantWithCard({ last4: '4242' });
    const s = await startMethodSetup(h.deps, { tenantId: first.tenantId, autopay: true, who: OWNER });
    const { paymentMethod } = await h.stripe.completeSetup(sessionOf(s.redirectUrl), { brand: 'amex', last4: '0005' });
    expect((await getPaymentMethodState(h.deps, first.tenantId)).card).toMatchObject({ brand: 'amex', last4: '0005' });
    const [detach] = h.stripe.posts(`/v1/payment_methods/${first.pm}/detach`);
    expect(detach.headers['idempotency-key']).toBe(`detach_${first.tenantId}_${first.pm}`);
    expect(h.stripe.paymentMethods.get(first.pm)!.customer).toBeNull();
    expect(h.stripe.paymentMethods.get(String(paymentMethod.id))!.customer).toBeTruthy();
    // Its payment_method.detached echo does not touch the new card.
    expect((await getPaymentMethodState(h.deps, first.tenantId)).hasMethod).toBe(true);
  });
});

describe('autopay setting and removal', () => {
  it('autopay cannot be turned on without a card; toggles are audited only when they change something', async () => {
    const t = await tenant();
    await expect(setAutopay(h.deps, { tenantId: t.id, enabled: true, who: OWNER })).rejects.toMatchObject({ code: 'NoPaymentMethod' });
    const { tenantId } = await tenantWithCard({}, false);
    expect(await setAutopay(h.deps, { tenantId, enabled: true, who: OWNER })).toBe(true);
    expect(await setAutopay(h.deps, { tenantId, enabled: true, who: OWNER })).toBe(false);
    expect(await setAutopay(h.deps, { tenantId, enabled: false, who: OWNER })).toBe(true);
    expect((await auditOf(tenantId)).filter((a) => a.startsWith('autopay'))).toEqual(['autopay.disable:ok:owner@test', 'autopay.enable:ok:owner@test']);
  });

  it('removal detaches at Stripe, forgets the card here and turns autopay off; autopay then charges nothing', async () => {
    const { tenantId, pm } = await tenantWithCard();
    expect(await removePaymentMethod(h.deps, { tenantId, who: OWNER })).toBe('removed');
    expect(h.stripe.posts(`/v1/payment_methods/${pm}/detach`)[0].headers['idempotency-key']).toBe(`detach_${tenantId}_${pm}`);
    expect(h.stripe.paymentMethods.get(pm)!.customer).toBeNull();
    expect(await getPaymentMethodState(h.deps, tenantId)).toMatchObject({ hasMethod: false, card: null, autopay: false });
    expect(await removePaymentMethod(h.deps, { tenantId, who: OWNER })).toBe('none');
    expect((await auditOf(tenantId)).filter((a) => a.startsWith('payment_method.remove'))).toEqual(['payment_method.remove:ok:owner@test', 'payment_method.remove:ok:stripe webhook']);
    await expect(chargeInvoice(h.deps, { invoiceId: await invoiceFor(tenantId, 100n) })).rejects.toMatchObject({ code: 'NoPaymentMethod' });
  });

  it('a refused detach changes nothing here and is audited as failed; one Stripe no longer knows counts as gone', async () => {
    const { tenantId, pm } = await tenantWithCard();
    h.stripe.override = (method, path) =>
      method === 'POST' && path.endsWith('/detach') ? { status: 400, body: { error: { type: 'invalid_request_error', message: 'fake: refused' } } } : undefined;
    try {
      await expect(removePaymentMethod(h.deps, { tenantId, who: OWNER })).rejects.toMatchObject({ code: 'PaymentProviderError' });
    } finally {
      h.stripe.override = undefined;
    }
    expect(await getPaymentMethodState(h.deps, tenantId)).toMatchObject({ hasMethod: true, autopay: true });
    expect((await auditOf(tenantId)).filter((a) => a.startsWith('payment_method.remove'))).toEqual(['payment_method.remove:failed:owner@test']);

    h.stripe.paymentMethods.delete(pm); // 404 at Stripe: nothing left to detach
    expect(await removePaymentMethod(h.deps, { tenantId, who: OWNER })).toBe('removed');
    expect(await getPaymentMethodState(h.deps, tenantId)).toMatchObject({ hasMethod: false, autopay: false });
  });

  it('a method detached in the Stripe dashboard is forgotten here (payment_method.detached)', async () => {
    const { tenantId, pm } = await tenantWithCard();
    h.stripe.autoDeliver = false;
    const ev = await h.stripe.emit('payment_method.detached', { ...h.stripe.paymentMethods.get(pm)!, customer: null });
    expect(await h.stripe.deliver(ev)).toBe(200);
    expect(await getPaymentMethodState(h.deps, tenantId)).toMatchObject({ hasMethod: false, autopay: false });
  });
});

describe('autopay after finalization (billing job)', () => {
  const intentsFor = (invoiceId: string) =>
    h.stripe.posts('/v1/payment_intents').filter((r) => (r.body.metadata as Record<string, string> | undefined)?.invoice_id === invoiceId && !r.replayed);
  const attempts = async (invoiceId: string) =>
    (await h.deps.db.select().from(payments).where(eq(payments.invoiceId, invoiceId))).map((p) => `${p.method}#${p.attempt}:${p.status}`).sort();

  // On PGlite a job runs inside its lock's transaction on the one connection, and the fake delivers webhooks
  // before it answers: the jobs would wait on themselves. Stripe delivers asynchronously; the tests deliver later.
  const quietStripe = () => (h.stripe.autoDeliver = false);

  it('the invoice run finalizes, the autopay job charges it off-session once, however often it runs', async () => {
    h.clock.set(new Date('2026-03-05T00:00:00Z'));
    const b = { db: h.deps.db, clock: h.clock };
    const t = await createTenant(b, { company: `Auto ${randomUUID().slice(0, 6)}`, billingEmail: 'ap@auto.test', currency: 'EUR', billingDay: 5, paymentProvider: 'stripe' });
    const plan = await createPlan(b, { name: `auto-${randomUUID().slice(0, 6)}`, currency: 'EUR', basePrice: 3_100n });
    const host = await addHost(h.deps.db, { name: `auto-${randomUUID().slice(0, 6)}`, adapter: 'sim' });
    const uuid = randomUUID();
    await h.deps.db.insert(vms).values({ uuid, name: 'vm', hostId: host.id, domid: 1, state: 'running', vcpus: 1, memoryMiB: 1024, firstSeenAt: h.clock.now(), lastSeenAt: h.clock.now() });
    await assignVm(b, { vmUuid: uuid, tenantId: t.id, planId: plan.id, from: h.clock.now() });
    const s = await startMethodSetup(h.deps, { tenantId: t.id, autopay: true, who: OWNER });
    const { paymentMethod } = await h.stripe.completeSetup(sessionOf(s.redirectUrl));
    quietStripe();

    h.clock.set(new Date('2026-04-05T00:10:00Z'));
    expect((await runBillingJob(ctx, 'invoiceRun')).ran).toBe(true);
    const [inv] = await h.deps.db.select().from(invoices).where(eq(invoices.tenantId, t.id));
    expect(inv).toMatchObject({ status: 'finalized', currency: 'EUR' });
    h.clock.set(new Date('2026-04-05T00:20:00Z'));
    expect(await runBillingJob(ctx, 'autopay')).toMatchObject({ ran: true, result: { captured: 1, failed: 0, errors: 0 } });
    expect(await runBillingJob(ctx, 'autopay')).toMatchObject({ ran: true, result: { considered: 0 } });
    h.clock.set(new Date('2026-04-05T01:20:00Z'));
    await runBillingJob(ctx, 'autopay');

    const [pi] = intentsFor(inv.id);
    expect(intentsFor(inv.id)).toHaveLength(1);
    expect(pi.headers['idempotency-key']).toBe(`inv_${inv.id}_attempt_1`);
    expect(pi.body).toMatchObject({ amount: String(inv.total), currency: 'eur', payment_method: paymentMethod.id, off_session: 'true', confirm: 'true' });
    expect(await attempts(inv.id)).toEqual(['off_session#1:succeeded']);
    expect((await h.deps.db.select().from(invoices).where(eq(invoices.id, inv.id)))[0].status).toBe('paid');
    // Stripe's payment_intent.succeeded arriving afterwards finds the payment recorded.
    const ev = h.stripe.events.filter((e) => e.type === 'payment_intent.succeeded').at(-1)!;
    expect(await h.stripe.deliver(ev)).toBe(200);
    expect(await attempts(inv.id)).toEqual(['off_session#1:succeeded']);
  });

  it('a declined card: one failed attempt and a notice; re-runs charge nothing; dunning retries after the due date', async () => {
    const { tenantId } = await tenantWithCard({ last4: '0341', declines: true });
    quietStripe();
    const invoiceId = await invoiceFor(tenantId, 4_500n);
    expect(await runBillingJob(ctx, 'autopay')).toMatchObject({ result: { failed: 1 } });
    await runBillingJob(ctx, 'autopay');
    expect(intentsFor(invoiceId)).toHaveLength(1);
    expect(await attempts(invoiceId)).toEqual(['off_session#1:failed']);
    const [n] = await h.deps.db.select().from(dunningEvents).where(and(eq(dunningEvents.invoiceId, invoiceId), eq(dunningEvents.kind, 'notice')));
    expect(n.message).toMatch(/Autopay could not charge the saved card .*declined/);

    // Due date + 1 day: dunning's first retry uses the same saved card (declines again).
    h.clock.set(new Date(h.clock.now().getTime() + 15 * DAY + 3_600_000));
    await runBillingJob(ctx, 'dunning');
    expect(await attempts(invoiceId)).toEqual(['off_session#1:failed', 'off_session#2:failed']);
    // The owner replaces the card; the next scheduled retry collects with the new one.
    h.stripe.autoDeliver = true;
    const s = await startMethodSetup(h.deps, { tenantId, autopay: true, who: OWNER });
    await h.stripe.completeSetup(sessionOf(s.redirectUrl));
    quietStripe();
    await runBillingJob(ctx, 'autopay'); // past due: dunning's business, not autopay's
    expect(intentsFor(invoiceId)).toHaveLength(2);
    h.clock.set(new Date(h.clock.now().getTime() + 2 * DAY));
    await runBillingJob(ctx, 'dunning');
    expect(await attempts(invoiceId)).toEqual(['off_session#1:failed', 'off_session#2:failed', 'off_session#3:succeeded']);
  });

  it('a card saved after a decline gets one try before the due date', async () => {
    const { tenantId } = await tenantWithCard({ declines: true });
    const invoiceId = await invoiceFor(tenantId, 1_500n);
    quietStripe();
    await runBillingJob(ctx, 'autopay');
    h.stripe.autoDeliver = true;
    const s = await startMethodSetup(h.deps, { tenantId, autopay: true, who: OWNER });
    const { paymentMethod } = await h.stripe.completeSetup(sessionOf(s.redirectUrl), { last4: '5556' });
    quietStripe();
    await runBillingJob(ctx, 'autopay');
    await runBillingJob(ctx, 'autopay');
    expect(await attempts(invoiceId)).toEqual(['off_session#1:failed', 'off_session#2:succeeded']);
    expect(intentsFor(invoiceId).map((r) => r.body.payment_method)).toEqual([expect.stringMatching(/^pm_/), paymentMethod.id]);
  });

  it('an attempt cut off mid-call is resumed with its own key and card, even after the card was replaced', async () => {
    const first = await tenantWithCard();
    const invoiceId = await invoiceFor(first.tenantId, 2_200n);
    quietStripe();
    // Stripe unreachable (5xx, nothing stored under the key): the attempt stays pending.
    h.stripe.override = (method, path) => (method === 'POST' && path === '/v1/payment_intents' ? { status: 500, body: { error: { type: 'api_error', message: 'fake: down' } } } : undefined);
    try {
      expect(await runBillingJob(ctx, 'autopay')).toMatchObject({ result: { errors: 1 } });
    } finally {
      h.stripe.override = undefined;
    }
    expect(await attempts(invoiceId)).toEqual(['off_session#1:pending']);
    // The owner replaces the card (the old one is detached at Stripe).
    h.stripe.autoDeliver = true;
    const s = await startMethodSetup(h.deps, { tenantId: first.tenantId, autopay: true, who: OWNER });
    const { paymentMethod } = await h.stripe.completeSetup(sessionOf(s.redirectUrl));
    quietStripe();
    // Resumed: the same key with the same (now detached) card; Stripe refuses it, charging nothing.
    await runBillingJob(ctx, 'autopay');
    const resumed = intentsFor(invoiceId).at(-1)!;
    expect(resumed.headers['idempotency-key']).toBe(`inv_${invoiceId}_attempt_1`);
    expect(resumed.body.payment_method).toBe(first.pm);
    expect(await attempts(invoiceId)).toEqual(['off_session#1:failed']);
    // The new card gets its one try.
    await runBillingJob(ctx, 'autopay');
    expect(await attempts(invoiceId)).toEqual(['off_session#1:failed', 'off_session#2:succeeded']);
    expect(intentsFor(invoiceId).at(-1)!.body.payment_method).toBe(paymentMethod.id);
  }, 30_000);

  it('autopay off, or a checkout the person opened in the last 24 hours, is left alone', async () => {
    const off = await tenantWithCard({}, false);
    const offInv = await invoiceFor(off.tenantId, 1_000n);
    const byHand = await tenantWithCard();
    const byHandInv = await invoiceFor(byHand.tenantId, 2_000n);
    quietStripe();
    await startCheckout(h.deps, { invoiceId: byHandInv });
    await runBillingJob(ctx, 'autopay');
    expect(intentsFor(offInv)).toHaveLength(0);
    expect(intentsFor(byHandInv)).toHaveLength(0);
    // The Checkout page expired unpaid: autopay collects.
    h.clock.set(new Date(h.clock.now().getTime() + 25 * 3_600_000));
    await runBillingJob(ctx, 'autopay');
    expect(await attempts(byHandInv)).toEqual(['checkout#1:pending', 'off_session#1:succeeded']);
    expect(intentsFor(offInv)).toHaveLength(0);
  });
});

/** A finalized invoice of this tenant, due in 14 days (as finalizeInvoice leaves it). */
async function invoiceFor(tenantId: string, total: bigint): Promise<string> {
  const n = h.clock.now();
  const [inv] = await h.deps.db
    .insert(invoices)
    .values({ tenantId, period: '2026-02', periodStart: new Date('2026-02-01T00:00:00Z'), periodEnd: new Date('2026-03-01T00:00:00Z'), currency: 'EUR', subtotal: total, total })
    .returning();
  await h.deps.db.insert(invoiceLines).values({
    invoiceId: inv.id, position: 1, kind: 'base', description: 'VPS', quantity: '1', unit: 'month', unitPrice: '1', amount: total, rangeStart: inv.periodStart, rangeEnd: inv.periodEnd,
  });
  await h.deps.db
    .update(invoices)
    .set({ status: 'finalized', series: 'KZ-PM', number: `KZ-PM-${randomUUID().slice(0, 8)}`, finalizedAt: n, dueAt: new Date(n.getTime() + 14 * DAY) })
    .where(eq(invoices.id, inv.id));
  return inv.id;
}
