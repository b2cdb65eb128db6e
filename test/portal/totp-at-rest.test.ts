// TOTP secrets at rest: sealed with AES-256-GCM under SECRET_KEY and bound to their user; rows from before
// encryption still work and are sealed on first use (or by sealPlainTotpKeys at start). Where the key comes
// from: SECRET_KEY, or for the embedded database a 0600 file in DATA_DIR; with DATABASE_URL it is required.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { buildFixture, cookieFrom, PASSWORD, req, TEST_SECRET_KEY, type Fixture } from './support.ts';
import { users } from '../../src/db/schema/auth.ts';
import { currentTotpCode, sealPlainTotpKeys, sealTotpKey, totpKeyHex } from '../../src/auth/totp.ts';
import { open, seal } from '../../src/auth/secret-box.ts';
import { loadConfig } from '../../src/config.ts';
import { MISSING_SECRET_KEY, requireSecretKey, resolveSecretKey } from '../../src/auth/secret-key.ts';

let database: TestDatabase;
let f: Fixture;
const dirs: string[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
  f = await buildFixture(database);
});
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await database?.close();
});

const stored = async (id: string) => (await f.ctx.db.select({ totpKey: users.totpKey, totpEnabled: users.totpEnabled }).from(users).where(eq(users.id, id)))[0];

async function signInWithTotp(email: string, code: () => string, ip: string): Promise<Response> {
  const page = await req(f.app, '/login', { ip });
  const pre = cookieFrom(page, 'kb_csrf')!;
  const token = /name="_csrf" value="([a-z2-7]+)"/.exec(await page.text())![1];
  const res = await req(f.app, '/login', { cookie: pre, form: { _csrf: token, email, password: PASSWORD }, ip });
  expect(res.headers.get('location')).toBe('/login/totp');
  const cookie = cookieFrom(res, 'kb_session')!;
  const totpPage = await (await req(f.app, '/login/totp', { cookie, ip })).text();
  const csrf = /name="_csrf" value="([a-z2-7]+)"/.exec(totpPage)![1];
  return req(f.app, '/login/totp', { cookie, form: { _csrf: csrf, code: code() }, ip });
}

describe('TOTP secrets in the database', () => {
  it('are stored sealed at enrolment: no trace of the key, and the shown secret still works', async () => {
    const begin = await req(f.app, '/account/totp/begin', { cookie: f.cookies.ownerA, form: { _csrf: f.csrf.ownerA } });
    const html = await begin.text();
    const secret = /id="totp-secret">\s*([A-Z2-7]+)/.exec(html)![1];
    const row = await stored(f.users.ownerA.id);
    expect(row.totpKey).toMatch(/^enc:v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/);
    const keyHex = totpKeyHex(f.ctx, { id: f.users.ownerA.id, totpKey: row.totpKey });
    expect(keyHex).toMatch(/^[0-9a-f]{40}$/);
    expect(row.totpKey).not.toContain(keyHex!);
    expect(row.totpKey).not.toContain(secret);
    const confirm = await req(f.app, '/account/totp/confirm', { cookie: f.cookies.ownerA, form: { _csrf: f.csrf.ownerA, code: currentTotpCode(keyHex!, f.clock) } });
    expect(await confirm.text()).toContain('Two-factor sign-in is enabled');
    const done = await signInWithTotp('owner@acme.test', () => currentTotpCode(keyHex!, f.clock), '127.0.7.1');
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/');
  });

  it('do not open on another user’s row, nor with another key', async () => {
    const row = await stored(f.users.ownerA.id);
    expect(() => totpKeyHex(f.ctx, { id: f.users.memberA.id, totpKey: row.totpKey })).toThrow(/does not open with this SECRET_KEY/);
    const otherKey = { ...f.ctx, config: { ...f.ctx.config, secretKey: Buffer.alloc(32, 7) } };
    expect(() => totpKeyHex(otherKey, { id: f.users.ownerA.id, totpKey: row.totpKey })).toThrow(/does not open/);
    // tampering with one byte of the ciphertext is detected
    const key = Buffer.from(TEST_SECRET_KEY, 'hex');
    const sealed = seal(key, 'abc', 'aad');
    const body = sealed.split(':')[3];
    const flipped = `${sealed.slice(0, sealed.length - body.length)}${body[0] === 'A' ? 'B' : 'A'}${body.slice(1)}`;
    expect(open(key, sealed, 'aad')).toBe('abc');
    expect(() => open(key, flipped, 'aad')).toThrow();
    // a fresh nonce each time: the same key sealed twice looks different
    expect(sealTotpKey(f.ctx, f.users.ownerA.id, 'aa')).not.toBe(sealTotpKey(f.ctx, f.users.ownerA.id, 'aa'));
  });

  it('stored in plain hex before encryption still work, and are sealed on first use', async () => {
    const legacyHex = '3132333435363738393031323334353637383930';
    await f.ctx.db.update(users).set({ totpKey: legacyHex, totpEnabled: true }).where(eq(users.id, f.users.memberA.id));
    const res = await signInWithTotp('member@acme.test', () => currentTotpCode(legacyHex, f.clock), '127.0.7.2');
    expect(res.status).toBe(303);
    const row = await stored(f.users.memberA.id);
    expect(row.totpKey).toMatch(/^enc:v1:/);
    expect(totpKeyHex(f.ctx, { id: f.users.memberA.id, totpKey: row.totpKey })).toBe(legacyHex);
  });

  it('stored in plain hex are all sealed by sealPlainTotpKeys (run at start and by migrate)', async () => {
    const legacyHex = 'a1a2a3a4a5a6a7a8a9b0b1b2b3b4b5b6b7b8b9c0';
    await f.ctx.db.update(users).set({ totpKey: legacyHex }).where(eq(users.id, f.users.ownerB.id));
    expect(await sealPlainTotpKeys(f.ctx)).toBe(1);
    const row = await stored(f.users.ownerB.id);
    expect(row.totpKey).toMatch(/^enc:v1:/);
    expect(totpKeyHex(f.ctx, { id: f.users.ownerB.id, totpKey: row.totpKey })).toBe(legacyHex);
    expect(await sealPlainTotpKeys(f.ctx)).toBe(0);
  });
});

describe('the secret key', () => {
  it('SECRET_KEY takes 64 hex digits or base64 of 32 bytes; anything else names the variable', () => {
    expect(loadConfig({ SECRET_KEY: TEST_SECRET_KEY }).secretKey?.toString('hex')).toBe(TEST_SECRET_KEY);
    const b64 = Buffer.from(TEST_SECRET_KEY, 'hex').toString('base64');
    expect(loadConfig({ SECRET_KEY: b64 }).secretKey?.toString('hex')).toBe(TEST_SECRET_KEY);
    expect(() => loadConfig({ SECRET_KEY: 'too-short' })).toThrow(/SECRET_KEY: 32 random bytes as 64 hex digits or base64/);
    expect(() => loadConfig({ SECRET_KEY: TEST_SECRET_KEY.slice(2) })).toThrow(/SECRET_KEY/);
    expect(loadConfig({}).secretKey).toBeUndefined();
  });

  it('is required with DATABASE_URL, with a message that says how to make one', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' });
    expect(resolveSecretKey(config)).toBeUndefined();
    expect(() => requireSecretKey({ secretKey: resolveSecretKey(config) })).toThrow(MISSING_SECRET_KEY);
    expect(MISSING_SECRET_KEY).toContain('openssl rand -hex 32');
    const given = loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/db', SECRET_KEY: TEST_SECRET_KEY });
    expect(resolveSecretKey(given)?.toString('hex')).toBe(TEST_SECRET_KEY);
  });

  it('is generated once for the embedded database, kept in DATA_DIR with mode 0600, and reused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-secret-'));
    dirs.push(dir);
    const dataDir = join(dir, 'data');
    const config = loadConfig({ DATA_DIR: dataDir });
    const first = resolveSecretKey(config)!;
    expect(first).toHaveLength(32);
    const file = join(dataDir, 'secret.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.toString('hex'));
    expect(resolveSecretKey(config)!.equals(first)).toBe(true);
    // a key file others can read is tightened; a broken one stops the start with its path
    chmodSync(file, 0o644);
    resolveSecretKey(config);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, 'not a key\n');
    expect(() => resolveSecretKey(config)).toThrow(`invalid secret key file ${file}`);
  });
});
