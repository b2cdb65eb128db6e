// Tenant suspension through the API: operator endpoints (documented, refused to everyone else), and the
// effect on the tenant's tokens: reading VMs and invoices goes on, power actions answer 403 problem+json
// with the reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { api, buildApiFixture, expectProblem, ORIGIN, type ApiFixture } from './support.ts';
import { getTenant } from '../../src/billing/index.ts';
import { listAudit } from '../../src/auth/audit.ts';

let db: TestDatabase;
let f: ApiFixture;
beforeAll(async () => {
  db = await createTestDatabase();
  f = await buildApiFixture(db);
});
afterAll(async () => db?.close());

const suspendPath = () => `/api/v1/tenants/${f.tenantA.id}/suspend`;
const unsuspendPath = () => `/api/v1/tenants/${f.tenantA.id}/unsuspend`;

interface TenantBody {
  id: string;
  status: string;
  suspendedReason: string | null;
  suspendedAt: string | null;
}

describe('operator endpoints', () => {
  it('are in the OpenAPI document with their bodies and problems', async () => {
    const doc = (await (await api(f.app, '/api/openapi.json')).json()) as {
      paths: Record<string, { post?: { requestBody?: { required?: boolean }; responses: Record<string, unknown> } }>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const s = doc.paths['/v1/tenants/{id}/suspend'].post!;
    expect(s.requestBody?.required).toBe(true);
    expect(Object.keys(s.responses).sort()).toEqual(['200', '400', '401', '403', '404', '409', '415', '500']);
    expect(doc.paths['/v1/tenants/{id}/unsuspend'].post!.requestBody?.required).toBe(false);
    expect(Object.keys(doc.components.schemas.SuspendTenant.properties!).sort()).toEqual(['reason', 'stopVms']);
    expect(Object.keys(doc.components.schemas.Tenant.properties!)).toEqual(expect.arrayContaining(['status', 'suspendedReason', 'suspendedAt']));
  });

  it('refuse tenant tokens, tenant sessions, read-only operator tokens and no credentials; nothing changes', async () => {
    const body = { reason: 'x' };
    await expectProblem(await api(f.app, suspendPath(), { token: f.tokens.ownerA, json: body }), 403);
    await expectProblem(await api(f.app, suspendPath(), { token: f.tokens.ownerB, json: body }), 403);
    await expectProblem(await api(f.app, suspendPath(), { cookie: f.cookies.ownerA, csrf: f.csrf.ownerA, origin: ORIGIN, json: body }), 403);
    const ro = await expectProblem(await api(f.app, suspendPath(), { token: f.tokens.operatorReadOnly, json: body }), 403);
    expect(ro.detail).toContain('read-only');
    await expectProblem(await api(f.app, suspendPath(), { json: body }), 401);
    // an operator session without the CSRF token
    await expectProblem(await api(f.app, suspendPath(), { cookie: f.cookies.operator, origin: ORIGIN, json: body }), 403);
    expect((await getTenant(f.ctx, f.tenantA.id)).status).toBe('active');
  });

  it('validate the reason and the tenant id', async () => {
    const empty = await expectProblem(await api(f.app, suspendPath(), { token: f.tokens.operator, json: { reason: '  ' } }), 400);
    expect(empty.errors).toEqual([{ in: 'body', field: 'reason', message: 'say why (the tenant sees it)' }]);
    await expectProblem(await api(f.app, suspendPath(), { token: f.tokens.operator, json: {} }), 400);
    await expectProblem(await api(f.app, '/api/v1/tenants/not-a-uuid/suspend', { token: f.tokens.operator, json: { reason: 'x' } }), 400);
    await expectProblem(await api(f.app, '/api/v1/tenants/00000000-0000-4000-8000-000000000000/suspend', { token: f.tokens.operator, json: { reason: 'x' } }), 404);
  });

  it('suspend (once: twice is a conflict) and audit with the token user', async () => {
    const res = await api(f.app, suspendPath(), { token: f.tokens.operator, json: { reason: 'Invoice KZ-2026-000001 unpaid' } });
    expect(res.status).toBe(200);
    const r = (await res.json()) as { tenant: TenantBody; consolesClosed: number; vms: { done: string[]; failed: unknown[] } };
    expect(r.tenant).toMatchObject({ id: f.tenantA.id, status: 'suspended', suspendedReason: 'Invoice KZ-2026-000001 unpaid', suspendedAt: f.clock.now().toISOString() });
    expect(r).toMatchObject({ consolesClosed: 0, vms: { done: [], failed: [] } });
    const dup = await expectProblem(await api(f.app, suspendPath(), { token: f.tokens.operator, json: { reason: 'again' } }), 409);
    expect(dup.detail).toBe('Acme is already suspended');
    const [a] = await listAudit(f.ctx.db, { action: 'tenant.suspend' });
    expect(a).toMatchObject({ actorUserId: f.users.operator.id, tenantId: f.tenantA.id });
    expect(a.actorLabel).toMatch(/^token operator \(kb_/);
    const list = (await (await api(f.app, '/api/v1/tenants', { token: f.tokens.operator })).json()) as { items: TenantBody[] };
    expect(list.items.find((t) => t.id === f.tenantA.id)?.status).toBe('suspended');
  });
});

describe("a suspended tenant's tokens", () => {
  it('still read VMs and invoices (and the PDF)', async () => {
    expect((await api(f.app, '/api/v1/vms', { token: f.tokens.ownerA })).status).toBe(200);
    expect((await api(f.app, `/api/v1/vms/${f.vmA}`, { token: f.tokens.readOnlyA })).status).toBe(200);
    expect((await api(f.app, '/api/v1/invoices', { token: f.tokens.ownerA })).status).toBe(200);
    expect((await api(f.app, `/api/v1/invoices/${f.invoiceA}`, { token: f.tokens.ownerA })).status).toBe(200);
    expect((await api(f.app, `/api/v1/invoices/${f.invoiceA}/pdf`, { token: f.tokens.ownerA })).status).toBe(200);
  });

  it('get 403 problem+json with the reason for every power action; the host is not called', async () => {
    const before = f.hosts.adapter.calls.length;
    for (const action of ['start', 'shutdown', 'reboot', 'destroy']) {
      const p = await expectProblem(await api(f.app, `/api/v1/vms/${f.vmA}/${action}`, { method: 'POST', token: f.tokens.ownerA }), 403);
      expect(p.type).toBe('/api/docs#problem-forbidden');
      expect(p.detail).toBe(
        'This account is suspended since 2026-03-15: Invoice KZ-2026-000001 unpaid. Power actions and the console are unavailable until the operator lifts the suspension; invoices can still be viewed and paid.',
      );
    }
    // the same through the portal's session on the API
    await expectProblem(await api(f.app, `/api/v1/vms/${f.vmA}/reboot`, { method: 'POST', cookie: f.cookies.memberA, csrf: f.csrf.memberA, origin: ORIGIN }), 403);
    // another tenant's VM stays 404, not 403: the suspension says nothing about other tenants' ids
    await expectProblem(await api(f.app, `/api/v1/vms/${f.vmB}/reboot`, { method: 'POST', token: f.tokens.ownerA }), 404);
    expect(f.hosts.adapter.calls.length).toBe(before);
    // operators and other tenants are unaffected
    expect((await api(f.app, `/api/v1/vms/${f.vmA}/reboot`, { method: 'POST', token: f.tokens.operator })).status).toBe(200);
    expect((await api(f.app, `/api/v1/vms/${f.vmB}/reboot`, { method: 'POST', token: f.tokens.ownerB })).status).toBe(200);
  });
});

describe('unsuspend', () => {
  it('works without a body, once; power actions come back', async () => {
    const res = await api(f.app, unsuspendPath(), { method: 'POST', token: f.tokens.operator });
    expect(res.status).toBe(200);
    const r = (await res.json()) as { tenant: TenantBody; vms: { done: string[] } };
    expect(r.tenant).toMatchObject({ status: 'active', suspendedReason: null, suspendedAt: null });
    await expectProblem(await api(f.app, unsuspendPath(), { method: 'POST', token: f.tokens.operator }), 409);
    expect((await api(f.app, `/api/v1/vms/${f.vmA}/reboot`, { method: 'POST', token: f.tokens.ownerA })).status).toBe(200);
  });

  it('stopVms shuts the running VMs down; unsuspend starts them unless startVms is false', async () => {
    f.hosts.adapter.running.set(f.vmA, true);
    f.hosts.adapter.running.set(f.vmA2, true);
    // tenant A's February VM is known to the host but stopped: nothing to do, not a failure, not started later
    const old = '44444444-4444-4444-8444-444444444444';
    f.hosts.adapter.names.set(old, 'old-4444');
    f.hosts.adapter.running.set(old, false);
    const s = (await (await api(f.app, suspendPath(), { token: f.tokens.operator, json: { reason: 'maintenance of billing', stopVms: true } })).json()) as {
      vms: { done: string[]; failed: unknown[] };
    };
    expect(s.vms.done.sort()).toEqual([f.vmA, f.vmA2].sort());
    expect(s.vms.failed).toEqual([]);
    expect(f.hosts.adapter.running.get(f.vmA)).toBe(false);
    const u = (await (await api(f.app, unsuspendPath(), { token: f.tokens.operator, json: { startVms: false } })).json()) as { vms: { done: string[] } };
    expect(u.vms.done).toEqual([]);
    expect(f.hosts.adapter.running.get(f.vmA)).toBe(false);
    expect(f.hosts.adapter.running.get(f.vmA2)).toBe(false);
    expect(f.hosts.adapter.calls.filter((c) => c.domain === old || c.domain === 'old-4444')).toEqual([]);
  });
});
