// Return after login: a signed-out visit to a portal page goes to /login?next=…, and signing in (with its
// TOTP step) lands back there. `next` is only ever a path on this site.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { buildFixture, cookieFrom, PASSWORD, req, type Fixture } from './support.ts';
import { users } from '../../src/db/schema/auth.ts';
import { currentTotpCode, sealTotpKey } from '../../src/auth/totp.ts';
import { safeNextPath } from '../../src/portal/next-path.ts';

let database: TestDatabase;
let f: Fixture;
beforeAll(async () => {
  database = await createTestDatabase();
  f = await buildFixture(database);
});
afterAll(async () => database?.close());

const INVOICE_PATH = '/invoices/9d7f0c56-2f4a-4c1b-9c3e-0a1b2c3d4e5f?paid=1';

/** Follows the redirect to /login, submits the form found there, returns the answer. */
async function signInFrom(loginUrl: string, email: string, ip: string, extra: Record<string, string> = {}) {
  const page = await req(f.app, loginUrl, { ip });
  const pre = cookieFrom(page, 'kb_csrf')!;
  const html = await page.text();
  const csrf = /name="_csrf" value="([a-z2-7]+)"/.exec(html)![1];
  const next = /name="next" value="([^"]*)"/.exec(html)?.[1];
  const form: Record<string, string> = { _csrf: csrf, email, password: PASSWORD, ...extra };
  if (next !== undefined && !('next' in extra)) form.next = next.replace(/&amp;/g, '&');
  return { res: await req(f.app, '/login', { cookie: pre, form, ip }), html };
}

describe('return after login', () => {
  it('sends a signed-out visit (a payment return link) to /login?next=… and back there after sign-in', async () => {
    const visit = await req(f.app, INVOICE_PATH);
    expect(visit.status).toBe(302);
    const loc = visit.headers.get('location')!;
    expect(loc).toBe(`/login?next=${encodeURIComponent(INVOICE_PATH)}`);
    const { res, html } = await signInFrom(loc, 'owner@acme.test', '127.0.13.1');
    expect(html).toContain(`<input type="hidden" name="next" value="/invoices/9d7f0c56-2f4a-4c1b-9c3e-0a1b2c3d4e5f?paid=1"/>`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(INVOICE_PATH);
  });

  it('keeps `next` through the TOTP step', async () => {
    const keyHex = '00112233445566778899aabbccddeeff00112233';
    await f.ctx.db.update(users).set({ totpKey: sealTotpKey(f.ctx, f.users.memberA.id, keyHex), totpEnabled: true }).where(eq(users.id, f.users.memberA.id));
    const visit = await req(f.app, `/vms/${f.vmA}?range=7d`);
    const { res } = await signInFrom(visit.headers.get('location')!, 'member@acme.test', '127.0.13.2');
    const toTotp = res.headers.get('location')!;
    expect(toTotp).toBe(`/login/totp?next=${encodeURIComponent(`/vms/${f.vmA}?range=7d`)}`);
    const cookie = cookieFrom(res, 'kb_session')!;
    // half signed in, another private page: to the TOTP step, still carrying where to go
    const detour = await req(f.app, '/invoices', { cookie });
    expect(detour.headers.get('location')).toBe('/login/totp?next=%2Finvoices');
    const page = await (await req(f.app, toTotp, { cookie })).text();
    const csrf = /name="_csrf" value="([a-z2-7]+)"/.exec(page)![1];
    const next = /name="next" value="([^"]*)"/.exec(page)![1];
    const done = await req(f.app, '/login/totp', { cookie, form: { _csrf: csrf, code: currentTotpCode(keyHex, f.clock), next } });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`/vms/${f.vmA}?range=7d`);
    expect((await req(f.app, `/vms/${f.vmA}?range=7d`, { cookie })).status).toBe(200);
  });

  it('goes to the dashboard for a visit to / and when already signed in sends `next` on at once', async () => {
    expect((await req(f.app, '/')).headers.get('location')).toBe('/login');
    const signedIn = await req(f.app, '/login?next=%2Faccount', { cookie: f.cookies.ownerB });
    expect(signedIn.status).toBe(302);
    expect(signedIn.headers.get('location')).toBe('/account');
  });

  it.each([
    ['//evil.test/x'],
    ['https://evil.test/'],
    ['http:/evil.test'],
    ['javascript:alert(1)'],
    ['/\\evil.test'],
    ['\\\\evil.test'],
    ['/%09/evil.test'.replace('%09', '\t')],
    ['/x\r\nLocation: https://evil.test'],
    ['/./evil.test'.replace('./', './/')],
    ['evil.test'],
    ['/login?next=%2F%2Fevil.test'],
  ])('refuses next=%j and lands on the dashboard', async (bad) => {
    const page = await req(f.app, `/login?next=${encodeURIComponent(bad)}`);
    expect(await page.text()).not.toContain('name="next"');
    const { res } = await signInFrom('/login', 'owner@other.test', `127.0.14.${bad.length}`, { next: bad });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
  });
});

describe('safeNextPath', () => {
  it.each([
    ['/invoices/abc?paid=1', '/invoices/abc?paid=1'],
    ['/vms/x?range=7d#usage', '/vms/x?range=7d#usage'],
    ['/a/../b', '/b'],
    ['/', '/'],
    ['', null],
    ['//evil.test', null],
    ['/\\evil.test', null],
    ['https://localhost/', null],
    ['/.//evil.test', null],
    ['/logout', null],
    [`/${'a'.repeat(2001)}`, null],
  ])('%j → %j', (input, want) => {
    expect(safeNextPath(input)).toBe(want);
  });
  it('refuses non-strings', () => {
    expect(safeNextPath(undefined)).toBeNull();
    expect(safeNextPath(['/a'])).toBeNull();
  });
});
