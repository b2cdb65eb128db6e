// The payment method page and /api/v1/payment-method through createApp, with the Stripe fake: an owner adds,
// toggles and removes a card with CSRF-protected forms; members and operators read only; another tenant's
// user, a stale session and no session are refused; the API gives the same answers from the same actions.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { loadConfig } from '../../src/config.ts';
import type { AppContext } from '../../src/context.ts';
import { createApp } from '../../src/app.ts';
import { auditLog } from '../../src/db/schema/auth.ts';
import { invoiceLines, invoices } from '../../src/db/schema/billing.ts';
import { createTenant, type Tenant } from '../../src/billing/catalogue/tenants.ts';
import { createUser } from '../../src/auth/users.ts';
import { createSession, invalidateSession } from '../../src/auth/sessions.ts';
import { createApiToken } from '../../src/auth/api-tokens.ts';
import { CapturingMailer } from '../../src/auth/mailer.ts';
import { actorFromSession } from '../../src/portal/env.ts';
import { HostError } from '../../src/hosts/types.ts';
import { getPaymentMethodState } from '../../src/billing/payments/methods/state.ts';
import { startHarness, type Harness } from '../payments/support.ts';
import { PASSWORD, req } from './support.ts';

type Who = 'ownerA' | 'memberA' | 'ownerB' | 'operator' | 'ownerP' | 'stale';
let h: Harness;
let app: ReturnType<typeof createApp>;
let tenantA: Tenant;
let tenantB: Tenant;
let tenantP: Tenant;
const cookie = {} as Record<Who, string>;
const csrf = {} as Record<Who, string>;
const bearer = {} as Record<'ownerA' | 'ownerAReadOnly' | 'operator', string>;

beforeAll(async () => {
  h = await startHarness();
  h.stripe.autoDeliver = false; // the return URL saves the card; webhooks are another test file's subject
  const ctx: AppContext = {
    db: h.deps.db,
    clock: h.clock,
    log: h.deps.log,
    config: { ...loadConfig({}), payments: h.deps.payments },
    hosts: { adapterFor: () => { throw new HostError('HostUnreachable', 'no hosts here'); }, forget: async () => {}, closeAll: async () => {} },
    payments: h.deps.providers,
    mailer: new CapturingMailer(),
  };
  const b = { db: h.deps.db, clock: h.clock };
  tenantA = await createTenant(b, { company: 'Acme', billingEmail: 'billing@acme.test', currency: 'EUR', paymentProvider: 'stripe' });
  tenantB = await createTenant(b, { company: 'Other Co', billingEmail: 'billing@other.test', currency: 'EUR', paymentProvider: 'stripe' });
  tenantP = await createTenant(b, { company: 'Pal Co', billingEmail: 'billing@pal.test', currency: 'EUR', paymentProvider: 'paypal' });
  const users = {
    ownerA: await createUser(h.deps.db, { email: 'owner@acme.test', password: PASSWORD, role: 'owner', tenantId: tenantA.id }),
    memberA: await createUser(h.deps.db, { email: 'member@acme.test', password: PASSWORD, role: 'member', tenantId: tenantA.id }),
    ownerB: await createUser(h.deps.db, { email: 'owner@other.test', password: PASSWORD, role: 'owner', tenantId: tenantB.id }),
    operator: await createUser(h.deps.db, { email: 'ops@kamikazi.test', password: PASSWORD, role: 'operator' }),
    ownerP: await createUser(h.deps.db, { email: 'owner@pal.test', password: PASSWORD, role: 'owner', tenantId: tenantP.id }),
  };
  for (const [k, u] of Object.entries(users) as [Exclude<Who, 'stale'>, (typeof users)['ownerA']][]) {
    const s = await createSession(b, u.id, { twoFactorVerified: true });
    cookie[k] = `kb_session=${s.token}`;
    csrf[k] = s.session.csrfToken;
  }
  const stale = await createSession(b, users.ownerA.id, { twoFactorVerified: true });
  await invalidateSession(b, stale.session.id);
  cookie.stale = `kb_session=${stale.token}`;
  csrf.stale = stale.session.csrfToken;
  bearer.ownerA = (await createApiToken(b, actorFromSession(users.ownerA), { name: 'ci' })).token;
  bearer.ownerAReadOnly = (await createApiToken(b, actorFromSession(users.ownerA), { name: 'ro', readOnly: true })).token;
  bearer.operator = (await createApiToken(b, actorFromSession(users.operator), { name: 'ops' })).token;
  app = createApp(ctx);
});
afterAll(() => h.close());
beforeEach(() => h.clock.set(new Date('2026-03-05T10:00:00Z')));

const form = (who: Who, extra: Record<string, string> = {}) => ({ cookie: cookie[who], form: { _csrf: csrf[who], ...extra } });
const stateA = () => getPaymentMethodState(h.deps, tenantA.id);
const auditA = async () => (await h.deps.db.select().from(auditLog).where(eq(auditLog.tenantId, tenantA.id))).map((a) => `${a.action}:${a.result}:${a.actorLabel}`);

async function finalizedInvoiceOf(tenantId: string): Promise<string> {
  const start = new Date('2026-02-01T00:00:00Z');
  const end = new Date('2026-03-01T00:00:00Z');
  const [inv] = await h.deps.db.insert(invoices).values({ tenantId, period: '2026-02', periodStart: start, periodEnd: end, currency: 'EUR', subtotal: 900n, total: 900n }).returning();
  await h.deps.db.insert(invoiceLines).values({ invoiceId: inv.id, position: 1, kind: 'base', description: 'VPS', quantity: '1', unit: 'month', unitPrice: '9', amount: 900n, rangeStart: start, rangeEnd: end });
  await h.deps.db
    .update(invoices)
    .set({ status: 'finalized', series: 'KZ-T', number: 'KZ-T-000001', finalizedAt: h.clock.now(), dueAt: new Date('2026-03-19T00:00:00Z') })
    .where(eq(invoices.id, inv.id));
  return inv.id;
}

/** The owner goes through Stripe Checkout (setup mode) and comes back to the success URL. */
async function ownerSavesCard(card: { last4?: string } = {}): Promise<Response> {
  const res = await req(app, '/payment-method/setup', form('ownerA', { autopay: 'yes' }));
  expect(res.status).toBe(303);
  const location = res.headers.get('location')!;
  expect(location).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
  const session = h.stripe.sessions.get(/cs_test_\w+$/.exec(location)![0])!;
  await h.stripe.completeSetup(String(session.id), card);
  const back = new URL(String(session.success_url));
  return req(app, `${back.pathname}${back.search}`, { cookie: cookie.ownerA });
}

describe('the page', () => {
  it('owner: no card yet, an "Add card" form whose target Stripe page the CSP allows', async () => {
    const res = await req(app, '/payment-method', { cookie: cookie.ownerA });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('id="saved-card">none');
    expect(html).toContain('id="add-card"');
    expect(html).toContain(`name="_csrf" value="${csrf.ownerA}"`);
    expect(res.headers.get('content-security-policy')).toContain("form-action 'self' https://checkout.stripe.com");
  });

  it('the owner saves a card through Stripe and sees brand, last 4 and expiry; autopay is on; all audited', async () => {
    const back = await ownerSavesCard({ last4: '1881' });
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe('/payment-method?setup=saved');
    const html = await (await req(app, '/payment-method?setup=saved', { cookie: cookie.ownerA })).text();
    expect(html).toContain('Card saved.');
    expect(html).toContain('visa ending 1881, expires 12/2030');
    expect(html).toContain('id="autopay-state">on');
    expect(await auditA()).toEqual(expect.arrayContaining(['payment_method.setup:ok:owner@acme.test', 'payment_method.save:ok:owner@acme.test', 'autopay.enable:ok:owner@acme.test']));
    // The audit page shows it to the tenant.
    expect(await (await req(app, '/audit', { cookie: cookie.ownerA })).text()).toContain('payment_method.save');
    // An open invoice says it will be collected by autopay, so nobody pays it twice by hand.
    const invoiceId = await finalizedInvoiceOf(tenantA.id);
    expect(await (await req(app, `/invoices/${invoiceId}`, { cookie: cookie.ownerA })).text()).toContain('on: charged to visa ending 1881');
  });

  it('a member sees the card read-only (no forms) and is refused every change with 403', async () => {
    const html = await (await req(app, '/payment-method', { cookie: cookie.memberA })).text();
    expect(html).toContain('visa ending 1881');
    expect(html).not.toContain('id="add-card"');
    expect(html).not.toContain('id="remove-card"');
    expect(html).toContain('Only an owner');
    for (const path of ['/payment-method/setup', '/payment-method/autopay', '/payment-method/remove']) {
      expect((await req(app, path, form('memberA', { enabled: 'no', autopay: 'yes' }))).status).toBe(403);
    }
    expect((await stateA()).autopay).toBe(true);
  });

  it("an operator sees a tenant's state with ?tenant=ID, read-only, and cannot change it", async () => {
    expect((await req(app, '/payment-method', { cookie: cookie.operator })).status).toBe(400);
    const html = await (await req(app, `/payment-method?tenant=${tenantA.id}`, { cookie: cookie.operator })).text();
    expect(html).toContain('visa ending 1881');
    expect(html).not.toContain('id="toggle-autopay"');
    expect((await req(app, '/payment-method/autopay', form('operator', { enabled: 'no' }))).status).toBe(403);
    expect((await req(app, '/payment-method/remove', form('operator'))).status).toBe(403);
    expect((await stateA()).hasMethod).toBe(true);
    expect(await (await req(app, '/ops/tenants', { cookie: cookie.operator })).text()).toContain(`/payment-method?tenant=${tenantA.id}`);
  });

  it("another tenant's owner: ?tenant=A is 404, A's setup return URL is 404 without asking Stripe; their own page shows their own (none)", async () => {
    expect((await req(app, `/payment-method?tenant=${tenantA.id}`, { cookie: cookie.ownerB })).status).toBe(404);
    const [setup] = h.stripe.posts('/v1/checkout/sessions').map((r) => (r.body.metadata as Record<string, string>).setup_id);
    const before = h.stripe.requests.length;
    const res = await req(app, `/payment-method/return?setup=${setup}`, { cookie: cookie.ownerB });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('1881');
    expect(h.stripe.requests.length).toBe(before);
    const own = await (await req(app, '/payment-method', { cookie: cookie.ownerB })).text();
    expect(own).toContain('id="saved-card">none');
    expect(own).not.toContain('1881');
  });

  it('no session or a stale one: pages go to sign-in, forms are refused, nothing changes', async () => {
    for (const who of ['none', 'stale'] as const) {
      const c = who === 'none' ? undefined : cookie.stale;
      const page = await req(app, '/payment-method', { cookie: c });
      expect(page.status).toBe(302);
      expect(page.headers.get('location')).toMatch(/^\/login(\?|$)/);
      const post = await req(app, '/payment-method/remove', { cookie: c, form: { _csrf: csrf.stale } });
      expect([403, 404]).toContain(post.status);
      expect(await post.text()).not.toContain('1881');
    }
    expect((await stateA()).hasMethod).toBe(true);
  });

  it('CSRF: a form without the token, with a stale token or from another site is refused', async () => {
    expect((await req(app, '/payment-method/autopay', { cookie: cookie.ownerA, form: { enabled: 'no' } })).status).toBe(403);
    expect((await req(app, '/payment-method/autopay', { cookie: cookie.ownerA, form: { _csrf: csrf.memberA, enabled: 'no' } })).status).toBe(403);
    expect((await req(app, '/payment-method/autopay', { ...form('ownerA', { enabled: 'no' }), origin: 'https://evil.example' })).status).toBe(403);
    expect((await req(app, '/payment-method/setup', { ...form('ownerA'), origin: null })).status).toBe(403);
    expect((await stateA()).autopay).toBe(true);
  });

  it('the owner turns autopay off and on, then removes the card (detached at Stripe, autopay off)', async () => {
    let res = await req(app, '/payment-method/autopay', form('ownerA', { enabled: 'no' }));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('id="autopay-state">off');
    res = await req(app, '/payment-method/autopay', form('ownerA', { enabled: 'yes' }));
    expect(await res.text()).toContain('id="autopay-state">on');
    const pm = (await stateA()).hasMethod ? [...h.stripe.paymentMethods.values()].find((p) => (p.card as { last4: string }).last4 === '1881')! : undefined;
    res = await req(app, '/payment-method/remove', form('ownerA'));
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Card removed. Autopay is off.');
    expect(html).toContain('id="saved-card">none');
    expect(h.stripe.posts(`/v1/payment_methods/${pm!.id}/detach`)).toHaveLength(1);
    expect(await stateA()).toMatchObject({ hasMethod: false, autopay: false });
    // Autopay without a card: said on the page, 409.
    res = await req(app, '/payment-method/autopay', form('ownerA', { enabled: 'yes' }));
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('save a card first');
    expect((await auditA()).filter((a) => !a.startsWith('payment_method.setup') && !a.startsWith('payment_method.save'))).toEqual(
      expect.arrayContaining(['autopay.disable:ok:owner@acme.test', 'autopay.enable:ok:owner@acme.test', 'payment_method.remove:ok:owner@acme.test']),
    );
  });

  it('a PayPal tenant is told autopay is Stripe-only; no form, and a forged POST is 409 without calling PayPal', async () => {
    const html = await (await req(app, '/payment-method', { cookie: cookie.ownerP })).text();
    expect(html).toContain('Autopay is available with Stripe (card) only');
    expect(html).not.toContain('id="add-card"');
    const before = h.paypal.requests.length + h.stripe.requests.length;
    const res = await req(app, '/payment-method/setup', form('ownerP', { autopay: 'yes' }));
    expect(res.status).toBe(409);
    expect(h.paypal.requests.length + h.stripe.requests.length).toBe(before);
  });

  it('Stripe down: the page says so with 503 and nothing changes', async () => {
    h.stripe.override = () => ({ status: 400, body: { error: { type: 'invalid_request_error', message: 'fake: refused' } } });
    try {
      const res = await req(app, '/payment-method/setup', form('ownerA', { autopay: 'yes' }));
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('Stripe did not answer or refused the request. Nothing was changed');
    } finally {
      h.stripe.override = undefined;
    }
    expect((await auditA()).at(-1)).toBe('payment_method.setup:failed:owner@acme.test');
  });
});

describe('/api/v1/payment-method', () => {
  const api = (path: string, o: { token?: string; method?: string; json?: unknown; cookie?: string; headers?: Record<string, string> } = {}) =>
    req(app, `/api/v1${path}`, { method: o.method, json: o.json, cookie: o.cookie, headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.headers ?? {}) } });

  it('the owner reads, saves (Stripe URL), toggles and removes through the same actions as the page', async () => {
    let res = await api('/payment-method', { token: bearer.ownerA });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ tenantId: tenantA.id, provider: 'stripe', autopayAvailable: true, hasMethod: false, card: null, autopay: false });
    res = await api('/payment-method/setup', { token: bearer.ownerA, json: { autopay: false } });
    expect(res.status).toBe(201);
    const setup = (await res.json()) as { setupId: string; url: string };
    expect(setup.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    await h.stripe.completeSetup(/cs_test_\w+$/.exec(setup.url)![0], { brand: 'mastercard', last4: '4444', expMonth: 2, expYear: 2026 });
    expect((await req(app, `/payment-method/return?setup=${setup.setupId}`, { cookie: cookie.ownerA })).status).toBe(303);
    res = await api('/payment-method', { token: bearer.ownerA });
    expect(await res.json()).toMatchObject({ hasMethod: true, autopay: false, card: { brand: 'mastercard', last4: '4444', expMonth: 2, expYear: 2026, expired: true } });
    res = await api('/payment-method/autopay', { token: bearer.ownerA, json: { enabled: true } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ autopay: true });
    res = await api('/payment-method', { token: bearer.ownerA, method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ hasMethod: false, autopay: false, card: null });
  });

  it('refuses: read-only token 403, operator changes 403, other tenant 404, no credentials 401, session without CSRF 403, bad body 400', async () => {
    expect((await api('/payment-method/autopay', { token: bearer.ownerAReadOnly, json: { enabled: false } })).status).toBe(403);
    expect((await api('/payment-method', { token: bearer.ownerAReadOnly })).status).toBe(200);
    expect((await api(`/payment-method?tenant=${tenantA.id}`, { token: bearer.operator })).status).toBe(200);
    expect((await api('/payment-method', { token: bearer.operator })).status).toBe(400);
    expect((await api('/payment-method/autopay', { token: bearer.operator, json: { enabled: false } })).status).toBe(403);
    expect((await api(`/payment-method?tenant=${tenantA.id}`, { cookie: cookie.ownerB })).status).toBe(404);
    expect((await api('/payment-method')).status).toBe(401);
    expect((await api('/payment-method', { cookie: cookie.stale })).status).toBe(401);
    expect((await api('/payment-method/autopay', { cookie: cookie.ownerA, json: { enabled: false } })).status).toBe(403);
    expect((await api('/payment-method/autopay', { cookie: cookie.memberA, json: { enabled: false }, headers: { 'x-csrf-token': csrf.memberA } })).status).toBe(403);
    const bad = await api('/payment-method/autopay', { token: bearer.ownerA, json: { enabled: 'yes' } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await req(app, '/api/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/v1/payment-method'] ?? {}).sort()).toEqual(['delete', 'get']);
    expect(Object.keys(doc.paths['/v1/payment-method/autopay'] ?? {})).toEqual(['post']);
    expect(Object.keys(doc.paths['/v1/payment-method/setup'] ?? {})).toEqual(['post']);
  });
});
