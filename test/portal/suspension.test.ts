// Tenant suspension through the operator pages, and what it does to the tenant's users: they still sign in,
// see and pay invoices, every page says why they are suspended; power actions and the console are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { buildFixture, cookieFrom, PASSWORD, req, type Fixture } from './support.ts';
import { tenants } from '../../src/db/schema/billing.ts';
import { listAudit } from '../../src/auth/audit.ts';
import { getTenant } from '../../src/billing/index.ts';

let database: TestDatabase;
let f: Fixture;
const op = () => ({ cookie: f.cookies.operator });
const opForm = (extra: Record<string, string>) => ({ ...op(), form: { _csrf: f.csrf.operator, ...extra } });
const REASON = 'Unpaid invoices <script>alert(1)</script> & co';
const ESCAPED = 'Unpaid invoices &lt;script&gt;alert(1)&lt;/script&gt; &amp; co';

beforeAll(async () => {
  database = await createTestDatabase();
  f = await buildFixture(database);
});
afterAll(async () => database?.close());

async function signIn(email: string, ip: string) {
  const page = await req(f.app, '/login', { ip });
  const pre = cookieFrom(page, 'kb_csrf')!;
  const token = /name="_csrf" value="([a-z2-7]+)"/.exec(await page.text())![1];
  return req(f.app, '/login', { cookie: pre, form: { _csrf: token, email, password: PASSWORD }, ip });
}

const status = async () => (await getTenant(f.ctx, f.tenantA.id)).status;

describe('operator: suspend a tenant', () => {
  it('puts a suspend button on each tenant that opens a confirmation page with a reason field', async () => {
    const list = await (await req(f.app, '/ops/tenants', op())).text();
    expect(list).toContain(`<form method="get" action="/ops/tenants/${f.tenantA.id}/suspend"`);
    expect(list).toContain(`<form method="get" action="/ops/tenants/${f.tenantB.id}/suspend"`);
    const confirm = await req(f.app, `/ops/tenants/${f.tenantA.id}/suspend`, op());
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    expect(html).toContain('Suspend Acme?');
    expect(html).toContain(`<form method="post" action="/ops/tenants/${f.tenantA.id}/suspend">`);
    expect(html).toContain(`name="_csrf" value="${f.csrf.operator}"`);
    expect(html).toContain('name="reason"');
    expect(html).toContain('Also shut down its 2 VM(s)');
  });

  it('refuses a post without the CSRF token, from another site, or from a tenant owner', async () => {
    const noToken = await req(f.app, `/ops/tenants/${f.tenantA.id}/suspend`, { ...op(), form: { confirm: 'yes', reason: 'x' } });
    expect(noToken.status).toBe(403);
    const foreign = await req(f.app, `/ops/tenants/${f.tenantA.id}/suspend`, { ...opForm({ confirm: 'yes', reason: 'x' }), origin: 'https://evil.test' });
    expect(foreign.status).toBe(403);
    const owner = await req(f.app, `/ops/tenants/${f.tenantA.id}/suspend`, { cookie: f.cookies.ownerA, form: { _csrf: f.csrf.ownerA, confirm: 'yes', reason: 'x' } });
    expect(owner.status).toBe(403);
    expect((await req(f.app, `/ops/tenants/${f.tenantA.id}/suspend`, { cookie: f.cookies.ownerA })).status).toBe(403);
    expect(await status()).toBe('active');
  });

  it('without confirm=yes shows the confirmation again; an empty reason is explained, nothing changes', async () => {
    const unconfirmed = await req(f.app, `/ops/tenants/${f.tenantA.id}/suspend`, opForm({ reason: 'late' }));
    expect(await unconfirmed.text()).toContain('Suspend Acme?');
    const empty = await req(f.app, `/ops/tenants/${f.tenantA.id}/suspend`, opForm({ confirm: 'yes', reason: '   ' }));
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('say why (the tenant sees it)');
    expect(await status()).toBe('active');
    expect((await req(f.app, '/ops/tenants/not-a-uuid/suspend', op())).status).toBe(404);
  });

  it('suspends with a reason and audits it', async () => {
    const res = await req(f.app, `/ops/tenants/${f.tenantA.id}/suspend`, opForm({ confirm: 'yes', reason: REASON }));
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Acme suspended. 0 console session(s) ended.');
    expect(html).toContain(`Suspended since`);
    expect(html).toContain(ESCAPED);
    expect(html).toContain(`action="/ops/tenants/${f.tenantA.id}/unsuspend"`);
    const [row] = await f.ctx.db.select().from(tenants).where(eq(tenants.id, f.tenantA.id));
    expect(row).toMatchObject({ status: 'suspended', suspendedReason: REASON, suspendedVms: [] });
    expect(row.suspendedAt?.toISOString()).toBe(f.clock.now().toISOString());
    const [a] = await listAudit(f.ctx.db, { action: 'tenant.suspend' });
    expect(a).toMatchObject({ result: 'ok', actorUserId: f.users.operator.id, tenantId: f.tenantA.id, target: f.tenantA.id });
    expect(a.detail).toMatchObject({ reason: REASON, consolesClosed: 0 });
    // twice is a conflict, said plainly
    const again = await req(f.app, `/ops/tenants/${f.tenantA.id}/suspend`, opForm({ confirm: 'yes', reason: 'again' }));
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('Acme is already suspended');
  });
});

describe('a suspended tenant', () => {
  it('sees a banner with the reason on every page, escaped; other tenants and operators do not', async () => {
    for (const path of ['/', '/invoices', '/account', '/audit', `/vms/${f.vmA}`]) {
      const res = await req(f.app, path, { cookie: f.cookies.memberA });
      expect(res.status, path).toBe(200);
      const html = await res.text();
      expect(html, path).toContain('id="suspension-banner"');
      expect(html, path).toContain(`This account is suspended since 2026-03-15: ${ESCAPED}`);
      expect(html, path).not.toContain('<script>alert(1)');
    }
    expect(await (await req(f.app, '/', { cookie: f.cookies.ownerB })).text()).not.toContain('suspension-banner');
    expect(await (await req(f.app, '/', op())).text()).not.toContain('suspension-banner');
  });

  it('can still sign in and reach its invoices', async () => {
    const res = await signIn('owner@acme.test', '127.0.6.1');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const cookie = cookieFrom(res, 'kb_session')!;
    const invoices = await req(f.app, '/invoices', { cookie });
    expect(invoices.status).toBe(200);
    expect(await invoices.text()).toContain('suspension-banner');
  });

  it('is refused power actions with a clear message; nothing reaches the host; the refusal is audited', async () => {
    const before = f.hosts.adapter.calls.length;
    for (const action of ['start', 'shutdown', 'reboot', 'destroy']) {
      const res = await req(f.app, `/vms/${f.vmA}/power/${action}`, { cookie: f.cookies.ownerA, form: { _csrf: f.csrf.ownerA, confirm: 'yes' } });
      expect(res.status, action).toBe(403);
      const html = await res.text();
      expect(html).toContain('This account is suspended since 2026-03-15');
      expect(html).toContain('Power actions and the console are unavailable until the operator lifts the suspension');
    }
    expect(f.hosts.adapter.calls.length).toBe(before);
    const denied = await listAudit(f.ctx.db, { action: 'vm.reboot' });
    expect(denied[0]).toMatchObject({ result: 'denied', actorUserId: f.users.ownerA.id, target: f.vmA });
  });

  it('gets no console ticket (403 with the reason) and a console page without a terminal', async () => {
    const t = await req(f.app, `/vms/${f.vmA}/console-ticket`, { method: 'POST', cookie: f.cookies.ownerA, headers: { 'x-csrf-token': f.csrf.ownerA } });
    expect(t.status).toBe(403);
    expect(t.headers.get('content-type')).toContain('application/problem+json');
    const body = (await t.json()) as { detail: string; ticket?: string };
    expect(body.ticket).toBeUndefined();
    expect(body.detail).toContain(`This account is suspended since 2026-03-15: ${REASON}`);
    expect(body.detail).toContain('The console is unavailable');
    const page = await req(f.app, `/vms/${f.vmA}/console`, { cookie: f.cookies.ownerA });
    expect(page.status).toBe(403);
    const html = await page.text();
    expect(html).not.toContain('id="terminal"');
    expect(html).not.toContain('/assets/console.js');
  });

  it('sees no power buttons or console link on the VM page, and the confirmation step refuses', async () => {
    const html = await (await req(f.app, `/vms/${f.vmA}`, { cookie: f.cookies.ownerA })).text();
    expect(html).toContain('id="power-unavailable"');
    expect(html).not.toContain(`action="/vms/${f.vmA}/power/`);
    expect(html).not.toContain(`href="/vms/${f.vmA}/console"`);
    const confirm = await req(f.app, `/vms/${f.vmA}/power/reboot`, { cookie: f.cookies.ownerA });
    expect(confirm.status).toBe(403);
    expect(await confirm.text()).not.toContain('Yes, reboot');
    expect(await (await req(f.app, `/vms/${f.vmA}`, op())).text()).toContain(`action="/vms/${f.vmA}/power/reboot"`);
  });

  it('stays out of reach of other tenants and operators keep full control', async () => {
    // another tenant is unaffected
    const b = await req(f.app, `/vms/${f.vmB}/power/reboot`, { cookie: f.cookies.ownerB, form: { _csrf: f.csrf.ownerB, confirm: 'yes' } });
    expect(b.status).toBe(200);
    // an operator may still act on the suspended tenant's VM and open its console
    const o = await req(f.app, `/vms/${f.vmA}/power/reboot`, opForm({ confirm: 'yes' }));
    expect(o.status).toBe(200);
    const t = await req(f.app, `/vms/${f.vmA}/console-ticket`, { method: 'POST', cookie: f.cookies.operator, headers: { 'x-csrf-token': f.csrf.operator } });
    expect(t.status).toBe(200);
  });
});

describe('operator: unsuspend, and VMs shut down by a suspension', () => {
  it('unsuspends after a confirmation; the banner and the refusals go', async () => {
    const confirm = await (await req(f.app, `/ops/tenants/${f.tenantA.id}/unsuspend`, op())).text();
    expect(confirm).toContain('Unsuspend Acme?');
    expect(confirm).not.toContain('name="startVms"'); // nothing was shut down
    const res = await req(f.app, `/ops/tenants/${f.tenantA.id}/unsuspend`, opForm({ confirm: 'yes' }));
    expect(await res.text()).toContain('Acme unsuspended.');
    expect(await status()).toBe('active');
    expect(await (await req(f.app, '/', { cookie: f.cookies.memberA })).text()).not.toContain('suspension-banner');
    const power = await req(f.app, `/vms/${f.vmA}/power/reboot`, { cookie: f.cookies.ownerA, form: { _csrf: f.csrf.ownerA, confirm: 'yes' } });
    expect(power.status).toBe(200);
    const [a] = await listAudit(f.ctx.db, { action: 'tenant.unsuspend' });
    expect(a).toMatchObject({ result: 'ok', actorUserId: f.users.operator.id, tenantId: f.tenantA.id });
    expect((await req(f.app, `/ops/tenants/${f.tenantA.id}/unsuspend`, opForm({ confirm: 'yes' }))).status).toBe(409);
  });

  it('shuts the running VMs down when asked, and starts exactly those again on unsuspend', async () => {
    f.hosts.adapter.running.set(f.vmA, true);
    f.hosts.adapter.running.set(f.vmA2, false); // the tenant had stopped this one itself
    const from = f.hosts.adapter.calls.length;
    const res = await req(f.app, `/ops/tenants/${f.tenantA.id}/suspend`, opForm({ confirm: 'yes', reason: 'abuse report #12', stopVms: 'yes' }));
    expect(await res.text()).toContain('1 VM(s) shut down.');
    expect(f.hosts.adapter.calls.slice(from)).toEqual([{ domain: f.vmA, action: 'shutdown' }]);
    expect((await getTenant(f.ctx, f.tenantA.id)).suspendedVms).toEqual([f.vmA]);
    const confirm = await (await req(f.app, `/ops/tenants/${f.tenantA.id}/unsuspend`, op())).text();
    expect(confirm).toContain('Start the 1 VM(s) the suspension shut down');
    const un = await req(f.app, `/ops/tenants/${f.tenantA.id}/unsuspend`, opForm({ confirm: 'yes', startVms: 'yes' }));
    expect(await un.text()).toContain('1 VM(s) started.');
    // a start names the domain (xl create reads <name>.cfg)
    expect(f.hosts.adapter.calls.slice(from + 1)).toEqual([{ domain: 'web-a', action: 'start' }]);
    expect(f.hosts.adapter.running.get(f.vmA)).toBe(true);
    expect(f.hosts.adapter.running.get(f.vmA2)).toBe(false);
    const [a] = await listAudit(f.ctx.db, { action: 'tenant.suspend' });
    expect(a.detail).toMatchObject({ reason: 'abuse report #12', stoppedVms: [f.vmA], failedVms: [] });
  });

  it('reports VMs whose host did not answer, and the suspension still stands', async () => {
    f.hosts.adapter.reachable = false;
    try {
      const res = await req(f.app, `/ops/tenants/${f.tenantA.id}/suspend`, opForm({ confirm: 'yes', reason: 'host test', stopVms: 'yes' }));
      const html = await res.text();
      expect(html).toContain('Could not be shut down:');
      expect(html).toContain(f.vmA);
      expect(await status()).toBe('suspended');
      expect((await getTenant(f.ctx, f.tenantA.id)).suspendedVms).toEqual([]);
    } finally {
      f.hosts.adapter.reachable = true;
    }
    await req(f.app, `/ops/tenants/${f.tenantA.id}/unsuspend`, opForm({ confirm: 'yes' }));
    expect(await status()).toBe('active');
  });
});
