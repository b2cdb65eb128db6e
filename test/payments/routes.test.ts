// Payment routes as mounted by createApp: provider webhooks pass the portal's session/CSRF layer untouched and
// are verified on the raw body; the provider return URL needs a signed-in user of the payment's tenant.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { loadConfig } from '../../src/config.ts';
import type { AppContext } from '../../src/context.ts';
import { createApp } from '../../src/app.ts';
import { invoices } from '../../src/db/schema/billing.ts';
import { payments } from '../../src/db/schema/payments.ts';
import { HostError } from '../../src/hosts/types.ts';
import { createUser } from '../../src/auth/users.ts';
import { createSession } from '../../src/auth/sessions.ts';
import { createTenant } from '../../src/billing/catalogue/tenants.ts';
import { startCheckout } from '../../src/billing/payments/charge.ts';
import { finalizedInvoice, startHarness, type Harness } from './support.ts';

let h: Harness;
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  h = await startHarness();
  const ctx: AppContext = {
    db: h.deps.db,
    clock: h.clock,
    log: h.deps.log,
    config: { ...loadConfig({}), payments: h.deps.payments },
    hosts: { adapterFor: () => { throw new HostError('HostUnreachable', 'no hosts here'); }, forget: async () => {}, closeAll: async () => {} },
    payments: h.deps.providers,
  };
  app = createApp(ctx);
  h.stripe.autoDeliver = false; // webhooks are posted by the tests themselves
});
afterAll(() => h.close());

async function paymentOf(invoiceId: string) {
  const [p] = await h.deps.db.select().from(payments).where(eq(payments.invoiceId, invoiceId));
  return p;
}

async function signedIn(tenantId: string | null, role: 'owner' | 'operator' = 'owner'): Promise<string> {
  const email = `${role}-${Math.random().toString(36).slice(2, 10)}@example.test`;
  const user = await createUser(h.deps.db, { email, password: 'correct horse battery', role, tenantId: tenantId ?? undefined });
  const s = await createSession({ db: h.deps.db, clock: h.clock }, user.id, { twoFactorVerified: true });
  return `kb_session=${s.token}`;
}

/** A checkout the buyer completed at Stripe (no webhook delivered yet). */
async function paidAtStripe() {
  const inv = await finalizedInvoice(h, { total: 2_750n });
  const co = await startCheckout(h.deps, { invoiceId: inv.invoiceId });
  await h.stripe.completeCheckout(co.payment.providerPaymentId!);
  return { ...inv, paymentId: co.payment.id };
}

describe('webhooks through createApp', () => {
  it('need no session, CSRF token or same-site Origin; the signature is checked on the exact bytes', async () => {
    const { invoiceId } = await paidAtStripe();
    const ev = h.stripe.events.at(-1)!;
    const payload = JSON.stringify(ev);
    const sig = h.stripe.sign(payload);
    // The same event re-serialised (as a JSON body parser would) no longer matches its signature.
    const reformatted = await app.request('/webhooks/stripe', { method: 'POST', body: JSON.stringify(ev, null, 2), headers: { 'stripe-signature': sig, 'content-type': 'application/json' } });
    expect(reformatted.status).toBe(400);
    expect((await paymentOf(invoiceId)).status).toBe('pending');

    const res = await app.request('/webhooks/stripe', {
      method: 'POST',
      body: payload,
      headers: { 'stripe-signature': sig, 'content-type': 'application/json', origin: 'https://hooks.stripe.com' },
    });
    expect(res.status).toBe(200);
    expect((await paymentOf(invoiceId)).status).toBe('succeeded');
    const [inv] = await h.deps.db.select().from(invoices).where(eq(invoices.id, invoiceId));
    expect(inv.status).toBe('paid');
  });

  it('the portal still refuses a form POST without its CSRF token (the exemption is only for webhooks)', async () => {
    const tenant = await createTenant({ db: h.deps.db, clock: h.clock }, { company: 'Csrf Co', billingEmail: 'a@csrf.test', currency: 'USD' });
    const cookie = await signedIn(tenant.id);
    const res = await app.request('/logout', { method: 'POST', headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(res.status).toBe(403);
  });
});

describe('GET /pay/:provider/return', () => {
  it('without a session: sent to sign in, nothing captured', async () => {
    const { paymentId, invoiceId } = await paidAtStripe();
    const res = await app.request(`/pay/stripe/return?payment=${paymentId}`);
    expect(res.status).toBe(302);
    // …and brought back to the return page afterwards, where the payment is then confirmed.
    expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(`/pay/stripe/return?payment=${paymentId}`)}`);
    expect((await paymentOf(invoiceId)).status).toBe('pending');
  });

  it("another tenant's user is refused with 404 and nothing is captured", async () => {
    const { paymentId, invoiceId } = await paidAtStripe();
    const other = await createTenant({ db: h.deps.db, clock: h.clock }, { company: 'Other Co', billingEmail: 'b@other.test', currency: 'USD' });
    const before = h.stripe.requests.length;
    const res = await app.request(`/pay/stripe/return?payment=${paymentId}`, { headers: { cookie: await signedIn(other.id) } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'payment not found' });
    expect(h.stripe.requests.length).toBe(before); // Stripe was not even asked
    expect((await paymentOf(invoiceId)).status).toBe('pending');
  });

  it('the wrong provider in the path or a malformed id is 404', async () => {
    const { paymentId, tenantId, invoiceId } = await paidAtStripe();
    const cookie = await signedIn(tenantId);
    expect((await app.request(`/pay/paypal/return?payment=${paymentId}`, { headers: { cookie } })).status).toBe(404);
    expect((await app.request('/pay/stripe/return?payment=not-a-uuid', { headers: { cookie } })).status).toBe(404);
    expect((await paymentOf(invoiceId)).status).toBe('pending');
  });

  it("the invoice's own tenant user completes the payment and lands on the invoice", async () => {
    const { paymentId, tenantId, invoiceId } = await paidAtStripe();
    const res = await app.request(`/pay/stripe/return?payment=${paymentId}`, { headers: { cookie: await signedIn(tenantId) } });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`http://127.0.0.1:8080/portal/invoices/${invoiceId}?payment=captured`);
    expect((await paymentOf(invoiceId)).status).toBe('succeeded');
    const [inv] = await h.deps.db.select().from(invoices).where(eq(invoices.id, invoiceId));
    expect(inv.status).toBe('paid');
  });
});
