// Accounts and sessions through the portal: sign-in, cookie flags, sliding sessions, throttling,
// CSRF, invites, password reset, TOTP, session revocation, security headers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { buildFixture, cookieFrom, PASSWORD, renewSessions, req, type Fixture } from './support.ts';
import { sessions, users, auditLog } from '../../src/db/schema/auth.ts';
import { SESSION_TTL_MS, validateSessionToken, createSession } from '../../src/auth/sessions.ts';
import { hashToken } from '../../src/auth/tokens.ts';
import { currentTotpCode, totpKeyHex } from '../../src/auth/totp.ts';
import { listAudit } from '../../src/auth/audit.ts';

let database: TestDatabase;
let f: Fixture;

beforeAll(async () => {
  database = await createTestDatabase();
  f = await buildFixture(database);
});
afterAll(async () => database?.close());

async function signIn(email: string, password: string, ip = '127.0.0.9') {
  const page = await req(f.app, '/login', { ip });
  const pre = cookieFrom(page, 'kb_csrf')!;
  const token = /name="_csrf" value="([a-z2-7]+)"/.exec(await page.text())![1];
  const res = await req(f.app, '/login', { cookie: pre, form: { _csrf: token, email, password }, ip });
  return res;
}

describe('sign-in', () => {
  it('stores passwords as argon2id', async () => {
    const [u] = await f.ctx.db.select().from(users).where(eq(users.email, 'owner@acme.test'));
    expect(u.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('signs in, sets an HttpOnly SameSite=Lax cookie, stores only the token hash', async () => {
    const res = await signIn('Owner@Acme.test', PASSWORD);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const line = res.headers.getSetCookie().find((l) => l.startsWith('kb_session='))!;
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/SameSite=Lax/);
    expect(line).not.toMatch(/Secure/); // plain http here
    const token = line.split(';')[0].slice('kb_session='.length);
    const [row] = await f.ctx.db.select().from(sessions).where(eq(sessions.id, hashToken(token)));
    expect(row.userId).toBe(f.users.ownerA.id);
    const rows = await f.ctx.db.select({ id: sessions.id }).from(sessions);
    expect(rows.some((r) => r.id === token)).toBe(false);
    const dash = await req(f.app, '/', { cookie: `kb_session=${token}` });
    expect(dash.status).toBe(200);
    expect(await dash.text()).toContain('web-a');
  });

  it('marks the cookie Secure when the request is https', async () => {
    const page = await f.app.request('https://localhost/login', {}, { incoming: { socket: { remoteAddress: '127.0.0.5' } } });
    expect(page.headers.getSetCookie().find((l) => l.startsWith('kb_csrf='))).toMatch(/Secure/);
  });

  it('refuses a wrong password with a clear message and audits it', async () => {
    const res = await signIn('member@acme.test', 'wrong password!', '127.0.0.20');
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('Wrong email or password.');
    const log = await listAudit(f.ctx.db, { action: 'login' });
    expect(log.find((e) => e.actorLabel === 'member@acme.test' && e.result === 'failed')?.ip).toBe('127.0.0.20');
  });

  it('throttles an account after 5 failures in 15 minutes (429), even with the right password', async () => {
    for (let i = 0; i < 5; i++) expect((await signIn('owner@other.test', `bad-password-${i}`, `127.0.1.${i}`)).status).toBe(401);
    const blocked = await signIn('owner@other.test', PASSWORD, '127.0.1.99');
    expect(blocked.status).toBe(429);
    expect(await blocked.text()).toContain('Too many failed sign-in attempts');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    f.clock.advance(15 * 60 * 1000 + 1000);
    expect((await signIn('owner@other.test', PASSWORD, '127.0.1.99')).status).toBe(303);
  });

  it('throttles an address after 20 failures across accounts', async () => {
    for (let i = 0; i < 20; i++) await signIn(`nobody${i}@x.test`, 'whatever-pass', '127.0.2.1');
    const res = await signIn('operator-not@x.test', 'whatever-pass', '127.0.2.1');
    expect(res.status).toBe(429);
    const other = await signIn('ops@kamikazi.test', PASSWORD, '127.0.2.2');
    expect(other.status).toBe(303);
  });

  it('refuses a login form without the pre-session CSRF token or from another Origin', async () => {
    const noToken = await req(f.app, '/login', { form: { email: 'ops@kamikazi.test', password: PASSWORD } });
    expect(noToken.status).toBe(403);
    const page = await req(f.app, '/login');
    const pre = cookieFrom(page, 'kb_csrf')!;
    const token = pre.split('=')[1];
    const foreign = await req(f.app, '/login', { cookie: pre, origin: 'https://evil.test', form: { _csrf: token, email: 'ops@kamikazi.test', password: PASSWORD } });
    expect(foreign.status).toBe(403);
    const noOrigin = await req(f.app, '/login', { cookie: pre, origin: null, form: { _csrf: token, email: 'ops@kamikazi.test', password: PASSWORD } });
    expect(noOrigin.status).toBe(403);
  });
});

describe('sessions', () => {
  it('slides the expiry once half of it has passed, and expires after 30 days idle', async () => {
    const { token, session } = await createSession(f.ctx, f.users.memberA.id, { twoFactorVerified: true });
    const start = f.clock.now().getTime();
    expect(session.expiresAt.getTime() - start).toBe(SESSION_TTL_MS);
    f.clock.advance(SESSION_TTL_MS / 2 - 60_000);
    expect((await validateSessionToken(f.ctx, token))?.renewed).toBe(false);
    f.clock.advance(120_000);
    const renewed = await validateSessionToken(f.ctx, token);
    expect(renewed?.renewed).toBe(true);
    expect(renewed!.session.expiresAt.getTime()).toBe(f.clock.now().getTime() + SESSION_TTL_MS);
    // the renewed cookie goes back to the browser
    f.clock.advance(SESSION_TTL_MS / 2 + 1000);
    const res = await req(f.app, '/account', { cookie: `kb_session=${token}` });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie().some((l) => l.startsWith(`kb_session=${token}`))).toBe(true);
    f.clock.advance(SESSION_TTL_MS + 1000);
    expect(await validateSessionToken(f.ctx, token)).toBeNull();
    const stale = await req(f.app, '/account', { cookie: `kb_session=${token}` });
    expect(stale.status).toBe(302);
    // back to the page after signing in again
    expect(stale.headers.get('location')).toBe('/login?next=%2Faccount');
    await renewSessions(f);
  });

  it('logs out (CSRF-checked), deletes the session and audits it', async () => {
    const { token, session } = await createSession(f.ctx, f.users.memberA.id, { twoFactorVerified: true });
    const cookie = `kb_session=${token}`;
    expect((await req(f.app, '/logout', { cookie, form: {} })).status).toBe(403);
    const res = await req(f.app, '/logout', { cookie, form: { _csrf: session.csrfToken } });
    expect(res.status).toBe(303);
    expect(await validateSessionToken(f.ctx, token)).toBeNull();
    expect((await listAudit(f.ctx.db, { action: 'logout' }))[0].actorUserId).toBe(f.users.memberA.id);
  });

  it('lists active sessions and revokes another one; not someone else’s', async () => {
    const other = await createSession(f.ctx, f.users.ownerA.id, { twoFactorVerified: true, userAgent: 'Other browser' });
    const page = await (await req(f.app, '/account', { cookie: f.cookies.ownerA })).text();
    expect(page).toContain('Other browser');
    const handle = other.session.id.slice(0, 16);
    // ownerB cannot revoke ownerA's session
    const foreign = await req(f.app, `/account/sessions/${handle}/revoke`, { cookie: f.cookies.ownerB, form: { _csrf: f.csrf.ownerB } });
    expect(foreign.status).toBe(404);
    expect(await validateSessionToken(f.ctx, other.token)).not.toBeNull();
    const res = await req(f.app, `/account/sessions/${handle}/revoke`, { cookie: f.cookies.ownerA, form: { _csrf: f.csrf.ownerA } });
    expect(res.status).toBe(200);
    expect(await validateSessionToken(f.ctx, other.token)).toBeNull();
  });
});

describe('invites and password reset', () => {
  it('operator invites by link; the link works once; the invitee signs in', async () => {
    const res = await req(f.app, '/ops/invites', {
      cookie: f.cookies.operator,
      form: { _csrf: f.csrf.operator, email: 'new@acme.test', role: 'member', tenantId: f.tenantA.id },
    });
    expect(res.status).toBe(200);
    const link = /\/invite\/([a-z2-7]{32})/.exec(await res.text())![1];
    const page = await req(f.app, `/invite/${link}`);
    expect(await page.text()).toContain('new@acme.test');
    const pre = cookieFrom(page, 'kb_csrf')!;
    const accept = await req(f.app, `/invite/${link}`, { cookie: pre, form: { _csrf: pre.split('=')[1], password: 'a brand new pass' } });
    expect(accept.status).toBe(200);
    const again = await req(f.app, `/invite/${link}`, { cookie: pre, form: { _csrf: pre.split('=')[1], password: 'a brand new pass' } });
    expect(again.status).toBe(400);
    expect((await signIn('new@acme.test', 'a brand new pass', '127.0.3.1')).status).toBe(303);
  });

  it('a tenant member cannot invite', async () => {
    const res = await req(f.app, '/ops/invites', { cookie: f.cookies.memberA, form: { _csrf: f.csrf.memberA, email: 'x@acme.test', role: 'owner', tenantId: f.tenantA.id } });
    expect([403, 404]).toContain(res.status);
  });

  it('resets a password by a single-use link from the mailer; expired links fail; sessions end', async () => {
    const { token: oldSession } = await createSession(f.ctx, f.users.memberA.id, { twoFactorVerified: true });
    const page = await req(f.app, '/forgot');
    const pre = cookieFrom(page, 'kb_csrf')!;
    const csrf = pre.split('=')[1];
    await req(f.app, '/forgot', { cookie: pre, form: { _csrf: csrf, email: 'member@acme.test' } });
    const mail = f.ctx.mailer.last()!;
    expect(mail.to).toBe('member@acme.test');
    const link = /\/reset\/([a-z2-7]{32})/.exec(mail.text)![1];
    const ok = await req(f.app, `/reset/${link}`, { cookie: pre, form: { _csrf: csrf, password: 'another long pass' } });
    expect(ok.status).toBe(200);
    expect(await validateSessionToken(f.ctx, oldSession)).toBeNull();
    const reuse = await req(f.app, `/reset/${link}`, { cookie: pre, form: { _csrf: csrf, password: 'yet another pass' } });
    expect(reuse.status).toBe(400);
    // an unknown email sends nothing, and says the same thing
    const count = f.ctx.mailer.sent.length;
    const unknown = await req(f.app, '/forgot', { cookie: pre, form: { _csrf: csrf, email: 'nobody@acme.test' } });
    expect(await unknown.text()).toContain('If an account exists');
    expect(f.ctx.mailer.sent.length).toBe(count);
    // expiry
    await req(f.app, '/forgot', { cookie: pre, form: { _csrf: csrf, email: 'member@acme.test' } });
    const link2 = /\/reset\/([a-z2-7]{32})/.exec(f.ctx.mailer.last()!.text)![1];
    f.clock.advance(61 * 60 * 1000);
    expect((await req(f.app, `/reset/${link2}`, { cookie: pre, form: { _csrf: csrf, password: 'too late password' } })).status).toBe(400);
    expect((await signIn('member@acme.test', 'another long pass', '127.0.4.1')).status).toBe(303);
    await renewSessions(f);
  });
});

describe('two-factor sign-in', () => {
  it('enrols with a confirmed code, then asks for the code at sign-in', async () => {
    const begin = await req(f.app, '/account/totp/begin', { cookie: f.cookies.operator, form: { _csrf: f.csrf.operator } });
    expect(await begin.text()).toContain('id="totp-secret"');
    const [u] = await f.ctx.db.select().from(users).where(eq(users.id, f.users.operator.id));
    const bad = await req(f.app, '/account/totp/confirm', { cookie: f.cookies.operator, form: { _csrf: f.csrf.operator, code: '000000' } });
    expect(bad.status).toBe(400);
    const code = currentTotpCode(totpKeyHex(f.ctx, u)!, f.clock);
    const ok = await req(f.app, '/account/totp/confirm', { cookie: f.cookies.operator, form: { _csrf: f.csrf.operator, code } });
    expect(await ok.text()).toContain('Two-factor sign-in is enabled');

    const res = await signIn('ops@kamikazi.test', PASSWORD, '127.0.5.1');
    expect(res.headers.get('location')).toBe('/login/totp');
    const cookie = cookieFrom(res, 'kb_session')!;
    // the half-signed-in session reaches nothing private
    const dash = await req(f.app, '/', { cookie });
    expect(dash.status).toBe(302);
    expect(dash.headers.get('location')).toBe('/login/totp');
    const [s] = await f.ctx.db.select().from(sessions).where(eq(sessions.id, hashToken(cookie.split('=')[1])));
    const wrong = await req(f.app, '/login/totp', { cookie, form: { _csrf: s.csrfToken, code: '123456' === code ? '654321' : '123456' } });
    expect(wrong.status).toBe(401);
    const right = await req(f.app, '/login/totp', { cookie, form: { _csrf: s.csrfToken, code: currentTotpCode(totpKeyHex(f.ctx, u)!, f.clock) } });
    expect(right.headers.get('location')).toBe('/');
    expect((await req(f.app, '/', { cookie })).status).toBe(200);
  });
});

describe('headers', () => {
  it('sends a CSP without inline scripts, no framing, nosniff and a referrer policy', async () => {
    const res = await req(f.app, '/login');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    expect(await res.text()).not.toMatch(/<script>(?!<\/script>)/);
  });

  it('audits logins with actor, result and address', async () => {
    const rows = await f.ctx.db.select().from(auditLog).where(eq(auditLog.action, 'login'));
    expect(rows.some((r) => r.result === 'ok' && r.ip === '127.0.0.9' && r.actorUserId === f.users.ownerA.id)).toBe(true);
    expect(rows.some((r) => r.result === 'throttled')).toBe(true);
  });
});
