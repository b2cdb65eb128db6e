// Stripe through the real SDK against the local fake: amounts, currencies, idempotency keys, webhooks
// (valid, forged, replayed, out of order), retries and crashes that must not charge twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { eq } from 'drizzle-orm';
import { invoices } from '../../src/db/schema/billing.ts';
import { payments, paymentReversals, webhookEvents } from '../../src/db/schema/payments.ts';
import { journalEntries } from '../../src/db/schema/ledger.ts';
import { chargeInvoice, savePaymentMethod, startCheckout } from '../../src/billing/payments/charge.ts';
import { refundPayment } from '../../src/billing/payments/refund.ts';
import { handleWebhook } from '../../src/billing/payments/webhooks.ts';
import { paymentRoutes } from '../../src/billing/payments/routes.ts';
import { creditBalance } from '../../src/billing/ledger/balances.ts';
import { finalizedInvoice, logsWith, startHarness, STRIPE_WHSEC, type Harness } from './support.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ titheBps: 1000 });
  h.stripe.sink = (raw, headers) => handleWebhook(h.deps, 'stripe', raw, headers).then((r) => r.status);
});
afterAll(() => h.close());

async function autopayTenant(total: bigint, currency = 'USD', pm = 'pm_card_visa') {
  const inv = await finalizedInvoice(h, { total, currency });
  await savePaymentMethod(h.deps, { tenantId: inv.tenantId, provider: 'stripe', customerId: 'cus_saved1', paymentMethodId: pm, autopay: true });
  return inv;
}

async function paymentRows(invoiceId: string) {
  return h.deps.db.select().from(payments).where(eq(payments.invoiceId, invoiceId));
}

describe('Stripe off-session charge', () => {
  it('sends amount, currency, saved method and our idempotency key; posts cash = revenue + tithe', async () => {
    const { invoiceId } = await autopayTenant(12_345n, 'EUR');
    const r = await chargeInvoice(h.deps, { invoiceId });
    expect(r.outcome).toBe('captured');
    const reqs = h.stripe.posts('/v1/payment_intents').filter((q) => (q.body.metadata as Record<string, string>).invoice_id === invoiceId);
    expect(reqs).toHaveLength(1);
    expect(reqs[0].body).toMatchObject({ amount: '12345', currency: 'eur', payment_method: 'pm_card_visa', off_session: 'true', confirm: 'true', customer: 'cus_saved1' });
    expect(reqs[0].headers['idempotency-key']).toBe(`inv_${invoiceId}_attempt_1`);
    expect(reqs[0].headers.authorization).toBe('Bearer sk_test_kamikazi0fake0key');
    const [p] = await paymentRows(invoiceId);
    expect(p).toMatchObject({ status: 'succeeded', amount: 12_345n, currency: 'EUR', titheAmount: 1234n, titheBps: 1000 });
    expect(p.providerChargeId).toMatch(/^ch_/);
    const [inv] = await h.deps.db.select().from(invoices).where(eq(invoices.id, invoiceId));
    expect(inv.status).toBe('paid');
    // 12345 × 10% = 1234.5 → half-even 1234; revenue takes the rest.
    const entries = await h.deps.db.select().from(journalEntries).where(eq(journalEntries.paymentId, p.id));
    expect(entries.map((e) => e.kind)).toEqual(['capture']);
  });

  it('a double click (two concurrent calls) charges once', async () => {
    const { invoiceId } = await autopayTenant(5_000n);
    const [a, b] = await Promise.all([chargeInvoice(h.deps, { invoiceId }), chargeInvoice(h.deps, { invoiceId })]);
    expect([a.outcome, b.outcome]).toContain('captured');
    expect(['captured', 'already_paid']).toContain(a.outcome);
    expect(['captured', 'already_paid']).toContain(b.outcome);
    const reqs = h.stripe.posts('/v1/payment_intents').filter((q) => (q.body.metadata as Record<string, string>).invoice_id === invoiceId);
    // Whether the second click reaches Stripe depends on timing: if the first has already committed, it
    // answers already_paid without a call; otherwise it re-sends the same key (409 "in progress", or a replay).
    expect(reqs.length).toBeGreaterThanOrEqual(1);
    expect(new Set(reqs.map((q) => q.headers['idempotency-key']))).toEqual(new Set([`inv_${invoiceId}_attempt_1`]));
    expect([...h.stripe.intents.values()].filter((pi) => (pi.metadata as Record<string, string>).invoice_id === invoiceId)).toHaveLength(1);
    expect(await paymentRows(invoiceId)).toHaveLength(1);
  });

  it('a crash between the charge call and recording it: the retry re-sends the same key, one charge', async () => {
    const { invoiceId } = await autopayTenant(7_777n);
    h.stripe.autoDeliver = false; // the crash also lost the webhook
    const intentsBefore = h.stripe.intents.size;
    // First run: the attempt row is committed, the provider charges, then the process dies before recording.
    const provider = h.deps.providers.get('stripe');
    const realCharge = provider.chargeOffSession.bind(provider);
    provider.chargeOffSession = async (req) => {
      await realCharge(req);
      throw new Error('simulated crash after the provider answered');
    };
    await expect(chargeInvoice(h.deps, { invoiceId })).rejects.toThrow('simulated crash');
    provider.chargeOffSession = realCharge;
    const [pending] = await paymentRows(invoiceId);
    expect(pending.status).toBe('pending');
    // Restart: the same attempt, the same key; Stripe replays the stored answer.
    const r = await chargeInvoice(h.deps, { invoiceId });
    expect(r.outcome).toBe('captured');
    expect(h.stripe.intents.size).toBe(intentsBefore + 1);
    const reqs = h.stripe.posts('/v1/payment_intents').filter((q) => (q.body.metadata as Record<string, string>).invoice_id === invoiceId);
    expect(reqs.map((q) => [q.headers['idempotency-key'], q.replayed])).toEqual([
      [`inv_${invoiceId}_attempt_1`, false],
      [`inv_${invoiceId}_attempt_1`, true],
    ]);
    h.stripe.autoDeliver = true;
  });

  it('the webhook arriving before the charge call returns: payment recorded once', async () => {
    const { invoiceId } = await autopayTenant(4_200n);
    // The fake delivers payment_intent.succeeded (to our handler) before it answers the create call.
    const r = await chargeInvoice(h.deps, { invoiceId });
    expect(r.outcome).toBe('captured');
    const [p] = await paymentRows(invoiceId);
    // Processed by the webhook first: the event is recorded and the API answer changed nothing.
    const ev = h.stripe.events.find((e) => e.type === 'payment_intent.succeeded' && (e.data as { object: { id: string } }).object.id === p.providerPaymentId);
    const [seen] = await h.deps.db.select().from(webhookEvents).where(eq(webhookEvents.eventId, String(ev?.id)));
    expect(seen.outcome).toBe('captured');
    expect(p.status).toBe('succeeded');
    const entries = await h.deps.db.select().from(journalEntries).where(eq(journalEntries.paymentId, p.id));
    expect(entries).toHaveLength(1);
  });

  it('a declined card marks the attempt failed; the next attempt gets a new key', async () => {
    const { invoiceId, tenantId } = await autopayTenant(3_000n, 'USD', 'pm_card_chargeDeclined');
    const r = await chargeInvoice(h.deps, { invoiceId });
    expect(r.outcome).toBe('failed');
    expect(r.payment.failureReason).toContain('declined');
    await savePaymentMethod(h.deps, { tenantId, provider: 'stripe', customerId: 'cus_saved1', paymentMethodId: 'pm_card_visa', autopay: true });
    const r2 = await chargeInvoice(h.deps, { invoiceId });
    expect(r2.outcome).toBe('captured');
    expect(r2.payment.idempotencyKey).toBe(`inv_${invoiceId}_attempt_2`);
  });
});

describe('Stripe Checkout', () => {
  it('creates one session per invoice attempt (double click → same URL) and is paid by webhook', async () => {
    const { invoiceId } = await finalizedInvoice(h, { total: 9_999n, currency: 'GBP' });
    const [a, b] = [await startCheckout(h.deps, { invoiceId }), await startCheckout(h.deps, { invoiceId })];
    expect(a.redirectUrl).toBe(b.redirectUrl);
    expect(a.redirectUrl).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
    const reqs = h.stripe.posts('/v1/checkout/sessions').filter((q) => q.body.client_reference_id === invoiceId);
    expect(reqs).toHaveLength(1);
    expect(reqs[0].body).toMatchObject({ mode: 'payment', line_items: { 0: { quantity: '1', price_data: { currency: 'gbp', unit_amount: '9999' } } } });
    expect(reqs[0].headers['idempotency-key']).toBe(`inv_${invoiceId}_checkout_1`);
    await h.stripe.completeCheckout(a.payment.providerPaymentId!);
    const [p] = await paymentRows(invoiceId);
    expect(p).toMatchObject({ status: 'succeeded', amount: 9_999n, titheAmount: 1000n });
    expect(p.providerIntentId).toMatch(/^pi_/);
  });
});

describe('Stripe webhooks', () => {
  it('valid via the HTTP route; forged → 400 with a log line; replayed → skipped with a log line', async () => {
    const app = paymentRoutes(h.deps, { returningUser: async () => null, signInPath: '/login' });
    const { invoiceId } = await finalizedInvoice(h, { total: 1_500n });
    const co = await startCheckout(h.deps, { invoiceId });
    h.stripe.autoDeliver = false;
    await h.stripe.completeCheckout(co.payment.providerPaymentId!);
    const ev = h.stripe.events.at(-1)!;
    expect(ev.type).toBe('payment_intent.succeeded');
    const payload = JSON.stringify(ev);
    const post = (sig: string) => app.request('/webhooks/stripe', { method: 'POST', body: payload, headers: { 'stripe-signature': sig, 'content-type': 'application/json' } });

    const forged = await post(h.stripe.sign(payload, 'whsec_not_the_secret'));
    expect(forged.status).toBe(400);
    expect(logsWith(h, 'signature verification failed').length).toBeGreaterThan(0);
    expect((await paymentRows(invoiceId))[0].status).toBe('pending');

    // A signature from the SDK's own test helper is accepted.
    const ok = await post(Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_WHSEC, timestamp: Math.floor(h.clock.now().getTime() / 1000) }));
    expect(ok.status).toBe(200);
    expect((await paymentRows(invoiceId))[0].status).toBe('succeeded');

    const again = await post(h.stripe.sign(payload));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ outcome: 'duplicate' });
    expect(logsWith(h, 'webhook replayed').some((l) => l.eventId === ev.id)).toBe(true);
    const seen = await h.deps.db.select().from(webhookEvents).where(eq(webhookEvents.eventId, String(ev.id)));
    expect(seen).toHaveLength(1);
    const [p] = await paymentRows(invoiceId);
    expect(await h.deps.db.select().from(journalEntries).where(eq(journalEntries.paymentId, p.id))).toHaveLength(1);

    // A tampered body under a once-valid signature is refused too.
    const tampered = payload.replace('"amount":1500', '"amount":1');
    const res = await app.request('/webhooks/stripe', { method: 'POST', body: tampered, headers: { 'stripe-signature': h.stripe.sign(payload) } });
    expect(res.status).toBe(400);
    h.stripe.autoDeliver = true;
  });

  it('out of order: payment_failed after succeeded is ignored', async () => {
    const { invoiceId } = await autopayTenant(2_000n);
    const r = await chargeInvoice(h.deps, { invoiceId });
    const pi = h.stripe.intents.get(r.payment.providerPaymentId!)!;
    const failed = await h.stripe.emit('payment_intent.payment_failed', { ...pi, status: 'requires_payment_method', last_payment_error: { message: 'late failure' } });
    expect(failed.id).toMatch(/^evt_/);
    const [p] = await paymentRows(invoiceId);
    expect(p.status).toBe('succeeded');
    expect(logsWith(h, 'payment failure ignored').length).toBeGreaterThan(0);
  });

  it('out of order: charge.refunded before payment_intent.succeeded records the capture, then the refund, once', async () => {
    const { invoiceId } = await finalizedInvoice(h, { total: 3_000n });
    const co = await startCheckout(h.deps, { invoiceId });
    h.stripe.autoDeliver = false;
    const { charge } = await h.stripe.completeCheckout(co.payment.providerPaymentId!);
    const [sessionEv, succeededEv] = h.stripe.events.slice(-2);
    // Refund of 1000 happens at Stripe; its event overtakes the others.
    charge.amount_refunded = 1000;
    const refundEv = await h.stripe.emit('charge.refunded', charge);
    expect(await h.stripe.deliver(refundEv)).toBe(503); // cannot be matched yet: PI id unknown to us
    expect(await h.stripe.deliver(sessionEv)).toBe(200); // now we know the intent
    expect(await h.stripe.deliver(refundEv)).toBe(200);
    expect(await h.stripe.deliver(succeededEv)).toBe(200);
    const [p] = await paymentRows(invoiceId);
    expect(p).toMatchObject({ status: 'succeeded', refundedAmount: 1000n, titheAmount: 300n });
    const rev = await h.deps.db.select().from(paymentReversals).where(eq(paymentReversals.paymentId, p.id));
    expect(rev.map((r) => [r.amount, r.titheReversed])).toEqual([[1000n, 100n]]);
    expect(await h.deps.db.select().from(journalEntries).where(eq(journalEntries.paymentId, p.id))).toHaveLength(2);
    h.stripe.autoDeliver = true;
  });
});

describe('Stripe refunds and disputes', () => {
  it('partial refunds reverse the tithe in proportion and sum to it when fully refunded; keys refund_<id>_<n>', async () => {
    const { invoiceId } = await autopayTenant(1_000n);
    const { payment } = await chargeInvoice(h.deps, { invoiceId });
    expect(payment.titheAmount).toBe(100n);
    const parts = [333n, 333n, 334n];
    for (const amount of parts) await refundPayment(h.deps, { paymentId: payment.id, amount });
    const reqs = h.stripe.posts('/v1/refunds').filter((q) => q.body.charge === payment.providerChargeId);
    expect(reqs.map((q) => [q.headers['idempotency-key'], q.body.amount])).toEqual([
      [`refund_${payment.id}_1`, '333'],
      [`refund_${payment.id}_2`, '333'],
      [`refund_${payment.id}_3`, '334'],
    ]);
    const rev = await h.deps.db.select().from(paymentReversals).where(eq(paymentReversals.paymentId, payment.id));
    const tithes = rev.map((r) => r.titheReversed!);
    expect(tithes.reduce((a, b) => a + b, 0n)).toBe(100n);
    expect(tithes).toEqual([33n, 34n, 33n]); // cumulative half-even: 33.3→33, 66.6→67, 100
    const [p] = await paymentRows(invoiceId);
    expect(p.refundedAmount).toBe(1000n);
    // The charge.refunded webhooks (delivered before each API answer) did not double count.
    expect(rev).toHaveLength(3);
    await expect(refundPayment(h.deps, { paymentId: payment.id, amount: 1n })).rejects.toThrow(/exceeds/);
  });

  it('a dispute posts a chargeback reversing the rest of the tithe', async () => {
    const { invoiceId } = await autopayTenant(2_500n);
    const { payment } = await chargeInvoice(h.deps, { invoiceId });
    await refundPayment(h.deps, { paymentId: payment.id, amount: 500n });
    await h.stripe.dispute(payment.providerChargeId!, 2_000);
    const [p] = await paymentRows(invoiceId);
    expect(p).toMatchObject({ refundedAmount: 500n, disputedAmount: 2000n });
    const rev = await h.deps.db.select().from(paymentReversals).where(eq(paymentReversals.paymentId, p.id));
    expect(rev.reduce((s, r) => s + r.titheReversed!, 0n)).toBe(250n);
  });

  it('the ledger balances per currency and cash equals what Stripe holds net', async () => {
    const cash = await creditBalance(h.deps.db, 'cash:stripe', 'USD');
    const held = [...h.stripe.charges.values()]
      .filter((c) => c.currency === 'usd')
      .reduce((s, c) => s + BigInt(c.amount as number) - BigInt(c.amount_refunded as number), 0n);
    const disputed = (await h.deps.db.select().from(paymentReversals).where(eq(paymentReversals.kind, 'chargeback'))).reduce((s, r) => s + r.amount, 0n);
    expect(-cash).toBe(held - disputed);
  });
});
