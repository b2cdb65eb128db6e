// Every /api/v1 route that names a VM, invoice, token or host, asked by every caller that must be refused:
// another tenant's token (and session), a read-only token on a state change, a VM-limited token on another
// VM (or on tenant-wide resources), a revoked token, a garbage token, no credentials. Refused means
// 401/403/404 problem+json, nothing of the resource in the body, and no effect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { api, buildApiFixture, expectProblem, ORIGIN, type ApiFixture, type ApiReq, type TokenKind } from './support.ts';
import { listAudit } from '../../src/auth/audit.ts';
import { listApiTokens } from '../../src/auth/api-tokens.ts';
import { actorFromSession } from '../../src/portal/env.ts';
import { listHosts } from '../../src/hosts/registry.ts';
import { getInvoice } from '../../src/billing/invoices/queries.ts';

let db: TestDatabase;
let f: ApiFixture;
let invoiceNumberA: string;
beforeAll(async () => {
  db = await createTestDatabase();
  f = await buildApiFixture(db);
  invoiceNumberA = (await getInvoice(f.ctx, f.invoiceA)).number ?? '';
});
afterAll(async () => db?.close());

type Caller = 'otherTenantToken' | 'otherTenantSession' | 'readOnly' | 'vmLimitedOther' | 'revoked' | 'garbage' | 'none';
const CALLERS: Caller[] = ['otherTenantToken', 'otherTenantSession', 'readOnly', 'vmLimitedOther', 'revoked', 'garbage', 'none'];

function credentials(c: Caller): ApiReq {
  const tok = (k: TokenKind) => ({ token: f.tokens[k] });
  switch (c) {
    case 'otherTenantToken':
      return tok('ownerB');
    case 'otherTenantSession':
      return { cookie: f.cookies.ownerB, csrf: f.csrf.ownerB, origin: ORIGIN };
    case 'readOnly':
      return tok('readOnlyA');
    case 'vmLimitedOther':
      // Limited to vmA: every VM case below names vmA2 (same tenant, other VM).
      return tok('vmLimitedA');
    case 'revoked':
      return tok('revokedA');
    case 'garbage':
      return { authorization: 'Bearer kb_thisisnotatokenatallxxxxxxxxxxxxxx' };
    case 'none':
      return {};
  }
}

interface RouteCase {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: () => string;
  json?: () => unknown;
  /** Expected status per caller; absent = this caller is allowed here (asserted 2xx). */
  refused: Partial<Record<Caller, 401 | 403 | 404>>;
  /** Strings of the resource that must not appear in a refusal. */
  secrets: () => string[];
  /** True when the resource is still intact (no side effect happened). */
  intact?: () => Promise<boolean>;
}

const AUTH = { revoked: 401, garbage: 401, none: 401 } as const;
const vmSecrets = () => ['db-a', 'web-a', 'fake-01', 'Acme'];
const powerCalls = () => f.hosts.adapter.calls.length;
let callsBefore = 0;

const ROUTES: RouteCase[] = [
  { name: 'GET vm', method: 'GET', path: () => `/api/v1/vms/${f.vmA2}`, refused: { otherTenantToken: 404, otherTenantSession: 404, vmLimitedOther: 404, ...AUTH }, secrets: vmSecrets },
  { name: 'GET vm usage', method: 'GET', path: () => `/api/v1/vms/${f.vmA2}/usage?range=7d`, refused: { otherTenantToken: 404, otherTenantSession: 404, vmLimitedOther: 404, ...AUTH }, secrets: vmSecrets },
  ...(['start', 'shutdown', 'reboot', 'destroy'] as const).map<RouteCase>((a) => ({
    name: `POST vm ${a}`,
    method: 'POST',
    path: () => `/api/v1/vms/${f.vmA2}/${a}`,
    refused: { otherTenantToken: 404, otherTenantSession: 404, readOnly: 403, vmLimitedOther: 404, ...AUTH },
    secrets: vmSecrets,
    intact: async () => powerCalls() === callsBefore,
  })),
  { name: 'GET invoice', method: 'GET', path: () => `/api/v1/invoices/${f.invoiceA}`, refused: { otherTenantToken: 404, otherTenantSession: 404, vmLimitedOther: 403, ...AUTH }, secrets: () => [invoiceNumberA, 'Acme'] },
  { name: 'GET invoice pdf', method: 'GET', path: () => `/api/v1/invoices/${f.invoiceA}/pdf`, refused: { otherTenantToken: 404, otherTenantSession: 404, vmLimitedOther: 403, ...AUTH }, secrets: () => [invoiceNumberA, '%PDF'] },
  {
    name: 'DELETE token',
    method: 'DELETE',
    path: () => `/api/v1/tokens/${f.tokenIds.ownerA}`,
    // API tokens never manage tokens (403); another tenant's session gets 404.
    refused: { otherTenantToken: 403, otherTenantSession: 404, readOnly: 403, vmLimitedOther: 403, ...AUTH },
    secrets: () => ['ownerA', f.tokens.ownerA.slice(0, 9)],
    intact: async () => (await listApiTokens(f.ctx, actorFromSession(f.users.ownerA))).some((t) => t.id === f.tokenIds.ownerA && !t.revokedAt),
  },
  {
    name: 'POST token limited to a VM',
    method: 'POST',
    path: () => '/api/v1/tokens',
    json: () => ({ name: 'sneaky', vmId: f.vmA }),
    refused: { otherTenantToken: 403, otherTenantSession: 404, readOnly: 403, vmLimitedOther: 403, ...AUTH },
    secrets: () => ['web-a', '"token":"kb_'],
    intact: async () => !(await listApiTokens(f.ctx, actorFromSession(f.users.ownerB))).some((t) => t.name === 'sneaky'),
  },
  {
    name: 'DELETE host',
    method: 'DELETE',
    path: () => `/api/v1/hosts/${f.host.id}`,
    refused: { otherTenantToken: 403, otherTenantSession: 403, readOnly: 403, vmLimitedOther: 403, ...AUTH },
    secrets: () => ['fake-01'],
    intact: async () => (await listHosts(f.ctx.db)).some((h) => h.id === f.host.id),
  },
];

describe.each(ROUTES)('$name', (route) => {
  it.each(CALLERS)('refuses %s', async (caller) => {
    const expected = route.refused[caller];
    if (expected === undefined) return; // allowed for this caller: covered by the "allowed" test below
    callsBefore = powerCalls();
    const res = await api(f.app, route.path(), { method: route.method, json: route.json?.(), ...credentials(caller) });
    const raw = await res.clone().text();
    const p = await expectProblem(res, expected);
    // The problem's random request id (a UUID) may contain a short secret like "db-a" by chance: not a leak.
    const text = raw.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>');
    for (const s of route.secrets()) expect(text).not.toContain(s);
    if (expected === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="kamikazi-api"/);
    if (route.intact) expect(await route.intact()).toBe(true);
    expect(p.instance).toBe(route.path().split('?')[0]);
  });
});

describe('refusals do not tell a foreign resource from a missing one', () => {
  const missing = '99999999-9999-4999-8999-999999999999';
  type Pair = readonly [string, () => string, () => string];
  it.each<Pair>([
    ['vm', () => `/api/v1/vms/${f.vmA}`, () => `/api/v1/vms/${missing}`],
    ['vm power', () => `/api/v1/vms/${f.vmA}/reboot`, () => `/api/v1/vms/${missing}/reboot`],
    ['vm usage', () => `/api/v1/vms/${f.vmA}/usage`, () => `/api/v1/vms/${missing}/usage`],
    ['invoice', () => `/api/v1/invoices/${f.invoiceA}`, () => `/api/v1/invoices/${missing}`],
    ['draft invoice of the own tenant', () => `/api/v1/invoices/${f.draftA}`, () => `/api/v1/invoices/${missing}`],
  ])('%s', async (what, foreign, absent) => {
    const method = what === 'vm power' ? 'POST' : 'GET';
    const token = what.startsWith('draft') ? f.tokens.ownerA : f.tokens.ownerB;
    const a = await expectProblem(await api(f.app, foreign(), { method, token }), 404);
    const b = await expectProblem(await api(f.app, absent(), { method, token }), 404);
    expect({ ...a, instance: '', requestId: '' }).toEqual({ ...b, instance: '', requestId: '' });
  });
});

describe('allowed callers', () => {
  it('a read-only token reads VMs, usage and invoices', async () => {
    for (const p of [`/api/v1/vms/${f.vmA2}`, `/api/v1/vms/${f.vmA2}/usage`, `/api/v1/invoices/${f.invoiceA}`, `/api/v1/invoices/${f.invoiceA}/pdf`]) {
      expect((await api(f.app, p, { token: f.tokens.readOnlyA })).status, p).toBe(200);
    }
  });
  it('the VM-limited token acts on its own VM', async () => {
    expect((await api(f.app, `/api/v1/vms/${f.vmA}/reboot`, { method: 'POST', token: f.tokens.vmLimitedA })).status).toBe(200);
  });
  it('an operator token reaches another tenant’s VM and invoice', async () => {
    expect((await api(f.app, `/api/v1/vms/${f.vmB}`, { token: f.tokens.operator })).status).toBe(200);
    expect((await api(f.app, `/api/v1/invoices/${f.invoiceB}`, { token: f.tokens.operator })).status).toBe(200);
  });
  it('a denied power action is audited as denied', async () => {
    await api(f.app, `/api/v1/vms/${f.vmA2}/destroy`, { method: 'POST', token: f.tokens.readOnlyA });
    const [entry] = await listAudit(f.ctx.db, { tenantId: f.tenantA.id, action: 'vm.destroy', limit: 1 });
    expect(entry).toMatchObject({ result: 'denied', target: f.vmA2 });
  });
  it('tenants get 403 on operator lists; operator read-only tokens may list but not change', async () => {
    await expectProblem(await api(f.app, '/api/v1/hosts', { token: f.tokens.ownerA }), 403);
    await expectProblem(await api(f.app, '/api/v1/tenants', { token: f.tokens.ownerA }), 403);
    expect((await api(f.app, '/api/v1/tenants', { token: f.tokens.operatorReadOnly })).status).toBe(200);
    await expectProblem(await api(f.app, '/api/v1/hosts', { token: f.tokens.operatorReadOnly, json: { name: 'x1', adapter: 'sim' } }), 403);
    await expectProblem(await api(f.app, `/api/v1/hosts/${f.host.id}`, { method: 'DELETE', token: f.tokens.operatorReadOnly }), 403);
  });
  it('a session that still owes its TOTP code is not signed in', async () => {
    const { createSession } = await import('../../src/auth/sessions.ts');
    const s = await createSession(f.ctx, f.users.ownerA.id, { twoFactorVerified: false });
    await expectProblem(await api(f.app, '/api/v1/vms', { cookie: `kb_session=${s.token}` }), 401);
  });
  it('a token revoked outside the API (portal, another replica) stops working within the 1 s token cache', async () => {
    const { createApiToken, revokeApiToken } = await import('../../src/auth/api-tokens.ts');
    const owner = actorFromSession(f.users.ownerA);
    const { token, record } = await createApiToken(f.ctx, owner, { name: 'short-lived' });
    expect((await api(f.app, '/api/v1/vms', { token })).status).toBe(200);
    await revokeApiToken(f.ctx, owner, record.id);
    f.clock.advance(1001);
    await expectProblem(await api(f.app, '/api/v1/vms', { token }), 401);
  });
  it('a bad Authorization header is not replaced by a valid session cookie', async () => {
    await expectProblem(await api(f.app, '/api/v1/vms', { authorization: 'Basic Zm9vOmJhcg==', cookie: f.cookies.ownerA }), 401);
  });
});
