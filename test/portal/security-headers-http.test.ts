// Security headers over real HTTP (@hono/node-server), where they go onto the Node response and writeHead merges
// them with the route's own: every response has them, a route's own value wins. API problems carry a request id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/portal/server.ts';
import { CSP } from '../../src/portal/middleware/security-headers.ts';
import { listInvoices, runInvoicePeriod } from '../../src/billing/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { buildFixture, type Fixture } from './support.ts';

const DEFAULTS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

describe('security headers over HTTP', () => {
  let t: TestDatabase;
  let f: Fixture;
  let server: RunningServer;
  beforeAll(async () => {
    t = await createTestDatabase();
    f = await buildFixture(t);
    server = await startServer(f.ctx, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  const headersOf = (res: Response) => Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, res.headers.get(k)]));

  it('are on pages, assets, API answers and problems, each once', async () => {
    for (const path of ['/login', '/assets/app.css', '/api/openapi.json', '/healthz', '/no-such-page']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(path === '/no-such-page' ? 404 : 200);
      expect(headersOf(res), path).toEqual(DEFAULTS);
    }
    const problem = await fetch(`${server.url}/api/v1/vms`);
    expect(problem.status).toBe(401);
    expect(headersOf(problem)).toEqual(DEFAULTS);
    const body = (await problem.json()) as { requestId: string };
    expect(problem.headers.get('x-request-id')).toBe(body.requestId);
  });

  it('a route that sends its own CSP keeps it (the console page allows inline styles)', async () => {
    const res = await fetch(`${server.url}/vms/${f.vmA}/console`, { headers: { cookie: f.cookies.ownerA } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"));
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it("the invoice frame's own CSP and X-Frame-Options win over the defaults", async () => {
    f.clock.set(new Date('2026-04-02T00:00:00Z'));
    await runInvoicePeriod(f.ctx, { period: '2026-03', tenantId: f.tenantA.id, finalize: true });
    const [invoice] = await listInvoices(f.ctx, { tenantId: f.tenantA.id });
    const res = await fetch(`${server.url}/invoices/${invoice!.id}/html`, { headers: { cookie: f.cookies.ownerA } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none';.*frame-ancestors 'self'/);
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
  });

  it('the API list carries them, gzipped or not (a request id only comes with a problem, which is logged)', async () => {
    const { createApiToken } = await import('../../src/auth/api-tokens.ts');
    const { actorFromSession } = await import('../../src/portal/env.ts');
    const { token } = await createApiToken(f.ctx, actorFromSession(f.users.ownerA), { name: 'http' });
    for (const enc of ['identity', 'gzip']) {
      const res = await fetch(`${server.url}/api/v1/vms`, { headers: { authorization: `Bearer ${token}`, 'accept-encoding': enc } });
      expect(res.status).toBe(200);
      expect(headersOf(res)).toEqual(DEFAULTS);
      expect(res.headers.get('x-request-id')).toBeNull();
      expect(((await res.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);
    }
  });
});
