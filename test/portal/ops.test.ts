// Operator pages: hosts (add, refuse bad input, remove), VM assignment, plans, invoice runs, tithe,
// user suspension (ends sessions), and the audit log scoped per tenant.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { buildFixture, req, type Fixture } from './support.ts';
import { listHosts } from '../../src/hosts/registry.ts';
import { listAssignments, listPlans } from '../../src/billing/index.ts';
import { createSession, validateSessionToken } from '../../src/auth/sessions.ts';
import { postCapture } from '../../src/billing/ledger/payment-entries.ts';

let database: TestDatabase;
let f: Fixture;
const op = () => ({ cookie: f.cookies.operator });
const form = (extra: Record<string, string>) => ({ _csrf: f.csrf.operator, ...extra });

beforeAll(async () => {
  database = await createTestDatabase();
  f = await buildFixture(database);
});
afterAll(async () => database?.close());

describe('operator pages', () => {
  it('adds a host, explains bad input, removes a host', async () => {
    const bad = await req(f.app, '/ops/hosts', { ...op(), form: form({ name: 'dom0-a', adapter: 'ssh', address: '', port: '22' }) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('username: required for the ssh adapter');
    const ok = await req(f.app, '/ops/hosts', { ...op(), form: form({ name: 'sim-extra', adapter: 'sim', port: '22' }) });
    expect(await ok.text()).toContain('Host sim-extra added.');
    const added = (await listHosts(f.ctx.db)).find((h) => h.name === 'sim-extra')!;
    const gone = await req(f.app, `/ops/hosts/${added.id}/remove`, { ...op(), form: form({}) });
    expect(await gone.text()).toContain('Host sim-extra removed.');
    expect((await listHosts(f.ctx.db)).map((h) => h.name)).toEqual(['fake-01']);
    const page = await (await req(f.app, '/ops/hosts', op())).text();
    expect(page).toContain('not polled yet');
  });

  it('assigns a VM to another tenant from now', async () => {
    const plan = (await listPlans(f.ctx))[0];
    const res = await req(f.app, `/ops/vms/${f.vmA2}/assign`, { ...op(), form: form({ tenantId: f.tenantB.id, planId: plan.id }) });
    expect(res.status).toBe(200);
    const list = await listAssignments(f.ctx, { vmUuid: f.vmA2 });
    expect(list.at(-1)).toMatchObject({ tenantId: f.tenantB.id, validTo: null });
    expect(list[0].validTo?.toISOString()).toBe(f.clock.now().toISOString());
    // tenant A no longer sees it, tenant B does
    expect((await req(f.app, `/vms/${f.vmA2}`, { cookie: f.cookies.ownerA })).status).toBe(404);
    expect((await req(f.app, `/vms/${f.vmA2}`, { cookie: f.cookies.ownerB })).status).toBe(200);
  });

  it('creates a plan and runs a dry invoice run', async () => {
    const created = await req(f.app, '/ops/plans', { ...op(), form: form({ name: 'medium', currency: 'EUR', basePrice: '1500' }) });
    expect(await created.text()).toContain('15.00 EUR');
    const bad = await req(f.app, '/ops/plans', { ...op(), form: form({ name: 'x', currency: 'EUR', basePrice: '1.5' }) });
    expect(bad.status).toBe(400);
    const run = await req(f.app, '/ops/invoice-runs', { ...op(), form: form({ period: '2026-03', mode: 'dry' }) });
    const html = await run.text();
    expect(html).toContain('Dry run for 2026-03');
    expect(html).toContain('Dry run: nothing was written.');
    expect(html).toContain('Acme');
  });

  it('shows the tithe statement page: earned, sent, recovered, owed back, and any disagreement with the payments', async () => {
    const empty = await (await req(f.app, '/ops/tithe?period=2026-03', op())).text();
    expect(empty).toContain('Tithe statement 2026-03');
    expect(empty).toContain('No tithe movements in this period.');
    // A capture in the ledger with no payment row behind it: the page shows the figures and the disagreement.
    await postCapture(f.ctx.db, {
      paymentId: randomUUID(), tenantId: f.tenantA.id, invoiceId: randomUUID(), provider: 'stripe', amount: 10_000n, tithe: 1_000n, currency: 'USD', at: new Date('2026-03-10T00:00:00Z'),
    });
    const html = await (await req(f.app, '/ops/tithe?period=2026-03', op())).text();
    for (const h of ['Opening owed back', 'Claimed back', 'Recovered', 'Netted', 'Closing owed back']) expect(html).toContain(`<th>${h}</th>`);
    const row = html.slice(html.indexOf('<tbody>'), html.indexOf('</tbody>'));
    expect(row).toContain('<td>USD</td>');
    expect(row).toMatch(/<td>10\.00 USD<\/td>/); // earned, and still owed at the close
    expect(row).not.toContain('<td>none</td>');
  });

  it('suspends a user: sessions end, sign-in refused; unsuspend restores', async () => {
    const { token } = await createSession(f.ctx, f.users.memberA.id, { twoFactorVerified: true });
    const res = await req(f.app, `/ops/users/${f.users.memberA.id}/suspend`, { ...op(), form: form({}) });
    expect(await res.text()).toContain('member@acme.test suspended');
    expect(await validateSessionToken(f.ctx, token)).toBeNull();
    expect((await req(f.app, '/', { cookie: f.cookies.memberA })).status).toBe(302);
    await req(f.app, `/ops/users/${f.users.memberA.id}/unsuspend`, { ...op(), form: form({}) });
    const again = await createSession(f.ctx, f.users.memberA.id, { twoFactorVerified: true });
    expect(await validateSessionToken(f.ctx, again.token)).not.toBeNull();
  });

  it('scopes the audit log to the tenant', async () => {
    await req(f.app, `/vms/${f.vmA}/power/reboot`, { cookie: f.cookies.ownerA, form: { _csrf: f.csrf.ownerA, confirm: 'yes' } });
    const a = await (await req(f.app, '/audit', { cookie: f.cookies.ownerA })).text();
    expect(a).toContain('vm.reboot');
    const b = await (await req(f.app, '/audit', { cookie: f.cookies.ownerB })).text();
    expect(b).not.toContain('vm.reboot');
    const all = await (await req(f.app, '/audit', op())).text();
    expect(all).toContain('vm.reboot');
  });
});
