// Security headers over real HTTP (@hono/node-server), where they go onto the Node response and writeHead merges
// them with the route's own: every response has them, a route's own value wins. Pages get the document set, API
// data answers (JSON, problems, files) the data set and none of the document-only headers. API problems carry a
// request id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/portal/server.ts';
import { CSP, DATA_SECURITY_HEADERS, PAGE_SECURITY_HEADERS } from '../../src/portal/middleware/security-headers.ts';
import { listInvoices, runInvoicePeriod } from '../../src/billing/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { buildFixture, type Fixture } from './support.ts';

const PAGE = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  'cross-origin-resource-policy': null,
};
const DATA = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': null,
  'x-frame-options': null,
  'cross-origin-opener-policy': null,
  'permissions-policy': null,
  'cross-origin-resource-policy': 'same-origin',
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

  const headersOf = (res: Response) => Object.fromEntries(Object.keys(PAGE).map((k) => [k, res.headers.get(k)]));

  it('the tables above are the ones the service sends', () => {
    expect(Object.fromEntries(Object.entries(PAGE).filter(([, v]) => v !== null))).toEqual(PAGE_SECURITY_HEADERS);
    expect(Object.fromEntries(Object.entries(DATA).filter(([, v]) => v !== null))).toEqual(DATA_SECURITY_HEADERS);
  });

  it('pages and their assets (the API reference too) get the document set, each header once', async () => {
    for (const path of ['/login', '/assets/app.css', '/api/docs', '/healthz', '/no-such-page']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(path === '/no-such-page' ? 404 : 200);
      expect(headersOf(res), path).toEqual(PAGE);
    }
  });

  it('API data answers and problems get the data set', async () => {
    for (const path of ['/api/openapi.json', '/api/docs.css']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(headersOf(res), path).toEqual(DATA);
    }
    const problem = await fetch(`${server.url}/api/v1/vms`);
    expect(problem.status).toBe(401);
    expect(problem.headers.get('content-type')).toBe('application/problem+json');
    expect(headersOf(problem)).toEqual(DATA);
    const missing = await fetch(`${server.url}/api/no-such-thing`);
    expect(missing.status).toBe(404);
    expect(headersOf(missing)).toEqual(DATA);
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

  it('the API list carries the data set, gzipped or not (a request id only comes with a problem, which is logged)', async () => {
    const { createApiToken } = await import('../../src/auth/api-tokens.ts');
    const { actorFromSession } = await import('../../src/portal/env.ts');
    const { token } = await createApiToken(f.ctx, actorFromSession(f.users.ownerA), { name: 'http' });
    for (const enc of ['identity', 'gzip']) {
      const res = await fetch(`${server.url}/api/v1/vms`, { headers: { authorization: `Bearer ${token}`, 'accept-encoding': enc } });
      expect(res.status).toBe(200);
      expect(headersOf(res)).toEqual(DATA);
      expect(res.headers.get('x-request-id')).toBeNull();
      expect(((await res.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);
    }
  });
});
