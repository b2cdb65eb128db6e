// /forgot is throttled per address asked for and per client address, with the same neutral answer whether
// the account exists, was throttled or got its mail (no account enumeration); sign-in throttling is separate.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { buildFixture, cookieFrom, PASSWORD, req, type Fixture } from './support.ts';
import { listAudit } from '../../src/auth/audit.ts';
import { MAX_RESETS_PER_ACCOUNT, MAX_RESETS_PER_ADDRESS, THROTTLE_WINDOW_MS } from '../../src/auth/throttle.ts';

let database: TestDatabase;
let f: Fixture;
beforeAll(async () => {
  database = await createTestDatabase();
  f = await buildFixture(database);
});
afterAll(async () => database?.close());

const NEUTRAL = 'If an account exists for that address, a reset link is on its way. It works once, for one hour.';

async function forgot(email: string, ip: string): Promise<{ status: number; html: string }> {
  const page = await req(f.app, '/forgot', { ip });
  const pre = cookieFrom(page, 'kb_csrf')!;
  const csrf = /name="_csrf" value="([a-z2-7]+)"/.exec(await page.text())![1];
  const res = await req(f.app, '/forgot', { cookie: pre, form: { _csrf: csrf, email }, ip });
  return { status: res.status, html: await res.text() };
}

/** The page without the per-request CSRF token, to compare answers byte for byte. */
const strip = (html: string) => html.replace(/[a-z2-7]{32}/g, 'TOKEN');

describe('/forgot throttling', () => {
  it('sends at most 3 links per account in 15 minutes; the 4th gets the same answer and no mail', async () => {
    const sent = f.ctx.mailer.sent.length;
    const answers: string[] = [];
    for (let i = 0; i < MAX_RESETS_PER_ACCOUNT + 2; i++) {
      // from different addresses: the per-account limit alone applies
      const r = await forgot('Member@Acme.test', `127.0.8.${i + 1}`);
      expect(r.status).toBe(200);
      expect(r.html).toContain(NEUTRAL);
      answers.push(strip(r.html));
    }
    expect(new Set(answers).size).toBe(1);
    expect(f.ctx.mailer.sent.length - sent).toBe(MAX_RESETS_PER_ACCOUNT);
    const throttled = (await listAudit(f.ctx.db, { action: 'password.reset_request' })).filter((e) => e.result === 'throttled');
    expect(throttled).toHaveLength(2);
    expect(throttled[0]).toMatchObject({ actorLabel: 'member@acme.test' });
    // the window passes: one more link
    f.clock.advance(THROTTLE_WINDOW_MS + 1000);
    await forgot('member@acme.test', '127.0.8.50');
    expect(f.ctx.mailer.sent.length - sent).toBe(MAX_RESETS_PER_ACCOUNT + 1);
  });

  it('limits one client address across accounts, known or not, answering the same', async () => {
    f.clock.advance(THROTTLE_WINDOW_MS + 1000);
    const ip = '127.0.9.1';
    const sent = f.ctx.mailer.sent.length;
    const answers = new Set<string>();
    for (let i = 0; i < MAX_RESETS_PER_ADDRESS; i++) answers.add(strip((await forgot(`nobody${i}@acme.test`, ip)).html));
    expect(f.ctx.mailer.sent.length).toBe(sent); // unknown accounts get no mail
    // the address is spent: a real account asked from it gets no mail either, and the same page
    const known = await forgot('owner@other.test', ip);
    answers.add(strip(known.html));
    expect(known.status).toBe(200);
    expect(answers.size).toBe(1);
    expect(f.ctx.mailer.sent.length).toBe(sent);
    // from another address it goes through
    await forgot('owner@other.test', '127.0.9.2');
    expect(f.ctx.mailer.sent.length).toBe(sent + 1);
    expect(f.ctx.mailer.last()!.to).toBe('owner@other.test');
  });

  it('answers a throttled unknown address exactly like a throttled known one', async () => {
    f.clock.advance(THROTTLE_WINDOW_MS + 1000);
    for (let i = 0; i < MAX_RESETS_PER_ACCOUNT; i++) {
      await forgot('owner@acme.test', `127.0.10.${i + 1}`);
      await forgot('ghost@acme.test', `127.0.11.${i + 1}`);
    }
    const known = await forgot('owner@acme.test', '127.0.10.99');
    const unknown = await forgot('ghost@acme.test', '127.0.11.99');
    expect(known.status).toBe(unknown.status);
    expect(strip(known.html)).toBe(strip(unknown.html));
  });

  it('does not count toward sign-in throttling (nor the other way round)', async () => {
    f.clock.advance(THROTTLE_WINDOW_MS + 1000);
    for (let i = 0; i < MAX_RESETS_PER_ACCOUNT + 1; i++) await forgot('owner@other.test', '127.0.12.1');
    const page = await req(f.app, '/login', { ip: '127.0.12.1' });
    const pre = cookieFrom(page, 'kb_csrf')!;
    const csrf = /name="_csrf" value="([a-z2-7]+)"/.exec(await page.text())![1];
    const res = await req(f.app, '/login', { cookie: pre, form: { _csrf: csrf, email: 'owner@other.test', password: PASSWORD }, ip: '127.0.12.1' });
    expect(res.status).toBe(303);
    // failed sign-ins until the account is throttled: a reset link (the way out) still goes
    f.clock.advance(THROTTLE_WINDOW_MS + 1000);
    for (let i = 0; i < 5; i++) await req(f.app, '/login', { cookie: pre, form: { _csrf: csrf, email: 'owner@other.test', password: 'wrong password!' }, ip: '127.0.12.2' });
    const locked = await req(f.app, '/login', { cookie: pre, form: { _csrf: csrf, email: 'owner@other.test', password: PASSWORD }, ip: '127.0.12.2' });
    expect(locked.status).toBe(429);
    const sent = f.ctx.mailer.sent.length;
    await forgot('owner@other.test', '127.0.12.3');
    expect(f.ctx.mailer.sent.length).toBe(sent + 1);
  });

  it('answers before the mail goes out, so a slow mail server does not tell which accounts exist; a failed delivery is audited', async () => {
    const mailer = f.ctx.mailer;
    const original = mailer.send;
    let fail!: (e: Error) => void;
    // A mail server that has not answered yet (awaiting it, /forgot would hang here until the test times out).
    mailer.send = () => new Promise<void>((_, reject) => (fail = reject));
    try {
      const r = await forgot('owner@acme.test', '127.0.9.1');
      expect(r.html).toContain(NEUTRAL);
      fail(new Error('451 try again later'));
      await vi.waitFor(async () => {
        const [a] = await listAudit(f.ctx.db, { action: 'password.reset_mail' });
        expect(a).toMatchObject({ result: 'failed', actorLabel: 'owner@acme.test' });
        expect(a.detail).toMatchObject({ error: 'Error: 451 try again later' });
      });
    } finally {
      mailer.send = original;
    }
  });
});
