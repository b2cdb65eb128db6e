// Every portal route that names a VM, token, user, session or host, asked by callers who must be refused:
// another tenant's user, a member without rights (where roles differ), a stale session, no session.
// Refused means 404/403 (or, for a page GET without a valid session, a redirect to sign-in) and never the data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { buildFixture, req, type Fixture } from './support.ts';
import { createApiToken } from '../../src/auth/api-tokens.ts';
import { createSession, invalidateSession } from '../../src/auth/sessions.ts';
import { actorFromSession } from '../../src/portal/env.ts';
import { listApiTokens } from '../../src/auth/api-tokens.ts';
import { listHosts } from '../../src/hosts/registry.ts';
import { listUsers } from '../../src/auth/users.ts';

let database: TestDatabase;
let f: Fixture;
let tokenIdA: string;
let staleCookie: string;
let staleCsrf: string;
let sessionHandleA: string;

beforeAll(async () => {
  database = await createTestDatabase();
  f = await buildFixture(database);
  tokenIdA = (await createApiToken(f.ctx, actorFromSession(f.users.ownerA), { name: 'ci' })).record.id;
  const s = await createSession(f.ctx, f.users.ownerA.id, { twoFactorVerified: true });
  sessionHandleA = s.session.id.slice(0, 16);
  const stale = await createSession(f.ctx, f.users.ownerA.id, { twoFactorVerified: true });
  await invalidateSession(f.ctx, stale.session.id);
  staleCookie = `kb_session=${stale.token}`;
  staleCsrf = stale.session.csrfToken;
});
afterAll(async () => database?.close());

type Who = 'otherTenant' | 'member' | 'stale' | 'none';
interface RouteCase {
  name: string;
  method: 'GET' | 'POST';
  path: () => string;
  form?: () => Record<string, string>;
  /** Who must be refused (owners of tenant A and operators may pass). */
  refused: Who[];
  /** Text that must never appear in a refused response. */
  secret: () => string[];
}

const vmSecrets = () => [f.vmA, 'web-a'];
const ROUTES: RouteCase[] = [
  { name: 'VM page', method: 'GET', path: () => `/vms/${f.vmA}`, refused: ['otherTenant', 'stale', 'none'], secret: vmSecrets },
  { name: 'VM page, period charts', method: 'GET', path: () => `/vms/${f.vmA}?range=period`, refused: ['otherTenant', 'stale', 'none'], secret: vmSecrets },
  { name: 'power confirm', method: 'GET', path: () => `/vms/${f.vmA}/power/reboot`, refused: ['otherTenant', 'stale', 'none'], secret: vmSecrets },
  ...(['start', 'shutdown', 'reboot', 'destroy'] as const).map<RouteCase>((a) => ({
    name: `power ${a}`,
    method: 'POST',
    path: () => `/vms/${f.vmA}/power/${a}`,
    form: () => ({ confirm: 'yes' }),
    refused: ['otherTenant', 'stale', 'none'],
    secret: vmSecrets,
  })),
  { name: 'console page', method: 'GET', path: () => `/vms/${f.vmA}/console`, refused: ['otherTenant', 'stale', 'none'], secret: vmSecrets },
  { name: 'console ticket', method: 'POST', path: () => `/vms/${f.vmA}/console-ticket`, form: () => ({}), refused: ['otherTenant', 'stale', 'none'], secret: () => [f.vmA, 'ticket'] },
  { name: 'token limited to a VM', method: 'POST', path: () => '/account/tokens', form: () => ({ name: 'x', vm: f.vmA }), refused: ['otherTenant', 'member', 'stale', 'none'], secret: () => ['kb_'] },
  { name: 'token revoke', method: 'POST', path: () => `/account/tokens/${tokenIdA}/revoke`, form: () => ({}), refused: ['otherTenant', 'member', 'stale', 'none'], secret: () => ['revoked'] },
  { name: 'session revoke', method: 'POST', path: () => `/account/sessions/${sessionHandleA}/revoke`, form: () => ({}), refused: ['otherTenant', 'member', 'stale', 'none'], secret: () => ['Session revoked'] },
  { name: 'hosts page', method: 'GET', path: () => '/ops/hosts', refused: ['otherTenant', 'member', 'stale', 'none'], secret: () => ['fake-01'] },
  { name: 'host remove', method: 'POST', path: () => `/ops/hosts/${f.host.id}/remove`, form: () => ({}), refused: ['otherTenant', 'member', 'stale', 'none'], secret: () => ['removed'] },
  { name: 'user suspend', method: 'POST', path: () => `/ops/users/${f.users.memberA.id}/suspend`, form: () => ({}), refused: ['otherTenant', 'member', 'stale', 'none'], secret: () => ['their sessions were ended', 'unsuspended.'] },
  { name: 'user unsuspend', method: 'POST', path: () => `/ops/users/${f.users.memberA.id}/unsuspend`, form: () => ({}), refused: ['otherTenant', 'member', 'stale', 'none'], secret: () => ['their sessions were ended', 'unsuspended.'] },
  { name: 'VM assignment', method: 'POST', path: () => `/ops/vms/${f.vmA}/assign`, form: () => ({ tenantId: f.tenantB.id, planId: '00000000-0000-4000-8000-000000000000' }), refused: ['otherTenant', 'member', 'stale', 'none'], secret: vmSecrets },
  { name: 'tenants page', method: 'GET', path: () => '/ops/tenants', refused: ['otherTenant', 'member', 'stale', 'none'], secret: () => ['Other Co', 'owner@acme.test'] },
  { name: 'invite', method: 'POST', path: () => '/ops/invites', form: () => ({ email: 'evil@x.test', role: 'operator', tenantId: '' }), refused: ['otherTenant', 'member', 'stale', 'none'], secret: () => ['/invite/'] },
  { name: 'invoice runs', method: 'POST', path: () => '/ops/invoice-runs', form: () => ({ period: '2026-02', mode: 'dry' }), refused: ['otherTenant', 'member', 'stale', 'none'], secret: () => ['Dry run for'] },
  { name: 'tithe', method: 'GET', path: () => '/ops/tithe', refused: ['otherTenant', 'member', 'stale', 'none'], secret: () => ['Tithe statement'] },
];

function caller(who: Who): { cookie?: string; csrf?: string } {
  if (who === 'otherTenant') return { cookie: f.cookies.ownerB, csrf: f.csrf.ownerB };
  if (who === 'member') return { cookie: f.cookies.memberA, csrf: f.csrf.memberA };
  if (who === 'stale') return { cookie: staleCookie, csrf: staleCsrf };
  return {};
}

describe('portal routes refuse callers without rights', () => {
  const cases = ROUTES.flatMap((r) => r.refused.map((who) => ({ r, who })));
  it.each(cases.map((c) => [`${c.r.method} ${c.r.name} as ${c.who}`, c] as const))('%s', async (_label, { r, who }) => {
    const before = f.hosts.adapter.calls.length;
    const c = caller(who);
    const res = await req(f.app, r.path(), { method: r.method, cookie: c.cookie, form: r.form ? { ...r.form(), ...(c.csrf ? { _csrf: c.csrf } : {}) } : undefined });
    const body = await res.text();
    if (res.status === 302) {
      expect(r.method).toBe('GET');
      expect(['stale', 'none']).toContain(who);
      // to sign in, then back to the page asked for
      const loc = new URL(res.headers.get('location')!, 'http://localhost');
      expect(loc.pathname).toBe('/login');
      expect(loc.searchParams.get('next') ?? '/').toBe(r.path());
    } else {
      expect([403, 404]).toContain(res.status);
    }
    for (const s of r.secret()) expect(body).not.toContain(s);
    expect(f.hosts.adapter.calls.length).toBe(before);
  });

  it('left every resource untouched', async () => {
    const tokens = await listApiTokens(f.ctx, actorFromSession(f.users.ownerA));
    expect(tokens.find((t) => t.id === tokenIdA)?.revokedAt).toBeNull();
    expect(tokens).toHaveLength(1);
    expect((await listHosts(f.ctx.db)).map((h) => h.id)).toContain(f.host.id);
    expect((await listUsers(f.ctx.db, f.tenantA.id)).every((u) => u.suspendedAt === null)).toBe(true);
  });

  it('the owner of tenant A and the operator are let through (the table is not refusing everyone)', async () => {
    expect((await req(f.app, `/vms/${f.vmA}`, { cookie: f.cookies.ownerA })).status).toBe(200);
    expect((await req(f.app, `/vms/${f.vmA}`, { cookie: f.cookies.memberA })).status).toBe(200);
    expect((await req(f.app, `/vms/${f.vmA}`, { cookie: f.cookies.operator })).status).toBe(200);
    expect((await req(f.app, '/ops/hosts', { cookie: f.cookies.operator })).status).toBe(200);
    const t = await req(f.app, '/account/tokens', { cookie: f.cookies.ownerA, form: { _csrf: f.csrf.ownerA, name: 'vm-only', vm: f.vmA, readOnly: 'yes' } });
    expect(await t.text()).toMatch(/id="new-token">kb_[a-z2-7]{32}</);
  });

  it('refuses state changes with a missing or wrong CSRF token, even for the owner', async () => {
    const before = f.hosts.adapter.calls.length;
    for (const form of [{ confirm: 'yes' } as Record<string, string>, { confirm: 'yes', _csrf: f.csrf.ownerB }, { confirm: 'yes', _csrf: 'x'.repeat(32) }]) {
      const res = await req(f.app, `/vms/${f.vmA}/power/reboot`, { cookie: f.cookies.ownerA, form });
      expect(res.status).toBe(403);
    }
    const foreign = await req(f.app, `/vms/${f.vmA}/power/reboot`, { cookie: f.cookies.ownerA, origin: 'https://evil.test', form: { confirm: 'yes', _csrf: f.csrf.ownerA } });
    expect(foreign.status).toBe(403);
    const ticket = await req(f.app, `/vms/${f.vmA}/console-ticket`, { method: 'POST', cookie: f.cookies.ownerA });
    expect(ticket.status).toBe(403);
    expect(f.hosts.adapter.calls.length).toBe(before);
  });
});
