// The validated-session cache (auth/sessions.ts): changes made in this process (sign-out, revocation, user and
// tenant suspension) take effect on the very next request; a change made behind its back (another replica, SQL)
// within SESSION_CACHE_MS; renewal and expiry behave as without the cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { buildFixture, cookieFrom, req, type Fixture } from './support.ts';
import { sessions } from '../../src/db/schema/auth.ts';
import { createSession, SESSION_CACHE_MS, SESSION_TTL_MS, validateSessionToken } from '../../src/auth/sessions.ts';

let database: TestDatabase;
let f: Fixture;

beforeAll(async () => {
  database = await createTestDatabase();
  f = await buildFixture(database);
});
afterAll(async () => database?.close());

/** A fresh signed-in session of a fixture user, already used once (so its validation is cached). */
async function usedSession(user: keyof Fixture['users']) {
  const { token, session } = await createSession(f.ctx, f.users[user].id, { twoFactorVerified: true });
  const cookie = `kb_session=${token}`;
  expect((await req(f.app, '/', { cookie })).status).toBe(200);
  return { token, cookie, session };
}

const signedOut = async (cookie: string) => {
  const res = await req(f.app, '/', { cookie });
  return res.status === 302 && res.headers.get('location')!.startsWith('/login');
};

describe('validated sessions are cached', () => {
  it('concurrent validations share one lookup, and later ones within the window reuse it', async () => {
    const { token } = await createSession(f.ctx, f.users.memberA.id, { twoFactorVerified: true });
    const [a, b] = await Promise.all([validateSessionToken(f.ctx, token), validateSessionToken(f.ctx, token)]);
    expect(a).not.toBeNull();
    expect(b).toBe(a);
    expect(await validateSessionToken(f.ctx, token)).toMatchObject({ session: { id: a!.session.id }, renewed: false });
  });

  it('sign-out ends the session at once, for the portal and for the API', async () => {
    const { cookie, session } = await usedSession('memberA');
    expect((await req(f.app, '/api/v1/vms', { cookie })).status).toBe(200);
    expect((await req(f.app, '/logout', { cookie, form: { _csrf: session.csrfToken } })).status).toBe(303);
    expect(await signedOut(cookie)).toBe(true);
    expect((await req(f.app, '/api/v1/vms', { cookie })).status).toBe(401);
  });

  it('revoking another session from the account page ends it at once', async () => {
    const other = await usedSession('ownerA');
    const res = await req(f.app, `/account/sessions/${other.session.id.slice(0, 16)}/revoke`, { cookie: f.cookies.ownerA, form: { _csrf: f.csrf.ownerA } });
    expect(res.status).toBe(200);
    expect(await signedOut(other.cookie)).toBe(true);
  });

  it("suspending a user ends the user's sessions at once", async () => {
    const member = await usedSession('memberA');
    const res = await req(f.app, `/ops/users/${f.users.memberA.id}/suspend`, { cookie: f.cookies.operator, form: { _csrf: f.csrf.operator } });
    expect(res.status).toBe(200);
    expect(await signedOut(member.cookie)).toBe(true);
    await req(f.app, `/ops/users/${f.users.memberA.id}/unsuspend`, { cookie: f.cookies.operator, form: { _csrf: f.csrf.operator } });
  });

  it('a tenant suspension shows on the next page at once', async () => {
    const owner = await usedSession('ownerA');
    const suspend = await req(f.app, `/ops/tenants/${f.tenantA.id}/suspend`, { cookie: f.cookies.operator, form: { _csrf: f.csrf.operator, confirm: 'yes', reason: 'late' } });
    expect(suspend.status).toBe(200);
    expect(await (await req(f.app, '/', { cookie: owner.cookie })).text()).toContain('suspension-banner');
    await req(f.app, `/ops/tenants/${f.tenantA.id}/unsuspend`, { cookie: f.cookies.operator, form: { _csrf: f.csrf.operator, confirm: 'yes' } });
    expect(await (await req(f.app, '/', { cookie: owner.cookie })).text()).not.toContain('suspension-banner');
  });

  it('a session deleted behind its back (another replica) stops working within SESSION_CACHE_MS', async () => {
    const s = await usedSession('memberA');
    await f.ctx.db.delete(sessions).where(eq(sessions.id, s.session.id));
    expect(await signedOut(s.cookie)).toBe(false); // still trusted for at most a second
    f.clock.advance(SESSION_CACHE_MS);
    expect(await signedOut(s.cookie)).toBe(true);
  });

  it('expiry and sliding renewal are not delayed by the cache', async () => {
    const s = await usedSession('memberA');
    // Half the lifetime gone: the next request renews the cookie even though the validation is cached.
    f.clock.advance(SESSION_TTL_MS / 2);
    const renewed = await req(f.app, '/', { cookie: s.cookie });
    expect(renewed.status).toBe(200);
    expect(cookieFrom(renewed, 'kb_session')).toBe(s.cookie);
    const [row] = await f.ctx.db.select().from(sessions).where(eq(sessions.id, s.session.id));
    expect(row.expiresAt.getTime()).toBe(f.clock.now().getTime() + SESSION_TTL_MS);
    expect((await req(f.app, '/', { cookie: s.cookie })).status).toBe(200);
    // Past the (renewed) expiry: refused at once.
    f.clock.advance(SESSION_TTL_MS);
    expect(await signedOut(s.cookie)).toBe(true);
  });
});
