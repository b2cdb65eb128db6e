// Optional TOTP (RFC 6238: 30 s, 6 digits) with @oslojs/otp's HOTP, counted from the injected clock
// (oslo's TOTP helpers read Date.now(), which tests cannot move). One step of drift is accepted.
// Keys are stored encrypted (secret-box.ts, bound to the user's id); rows written before encryption hold
// plain hex, which is still read and is sealed on its next use (and by sealPlainTotpKeys at start).
import { createTOTPKeyURI, generateHOTP, verifyHOTP } from '@oslojs/otp';
import { decodeHex, encodeBase32UpperCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import { and, eq, isNotNull, not, like } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import { users } from '../db/schema/auth.ts';
import { forgetValidatedSessions, type AuthDeps, type UserRecord } from './sessions.ts';
import { getUser } from './users.ts';
import { audit } from './audit.ts';
import { AuthError } from './errors.ts';
import { isSealed, open, seal } from './secret-box.ts';

const PERIOD = 30;
const DIGITS = 6;
const PLAIN_HEX = /^(?:[0-9a-f]{2})+$/;

/** TOTP verbs also need the key that encrypts TOTP secrets at rest (config.secretKey). */
export interface TotpDeps extends AuthDeps {
  config: { secretKey?: Buffer };
}

function secretKey(deps: TotpDeps): Buffer {
  const key = deps.config.secretKey;
  if (!key) throw new Error('no secret key is configured (SECRET_KEY): TOTP secrets cannot be stored or read');
  return key;
}

const aad = (userId: string) => `users.totp_key:${userId}`;

export function sealTotpKey(deps: TotpDeps, userId: string, keyHex: string): string {
  return seal(secretKey(deps), keyHex, aad(userId));
}

/** The user's TOTP key as hex (null when none), whether stored sealed or, from before encryption, plain. */
export function totpKeyHex(deps: TotpDeps, user: Pick<UserRecord, 'id' | 'totpKey'>): string | null {
  const stored = user.totpKey;
  if (!stored) return null;
  if (isSealed(stored)) return open(secretKey(deps), stored, aad(user.id));
  if (PLAIN_HEX.test(stored)) return stored;
  throw new Error(`users.totp_key of ${user.id} is neither encrypted nor hex`);
}

/** Seals a plain key in place; the compare on the old value keeps a concurrent re-enrolment intact. */
async function sealIfPlain(deps: TotpDeps, user: Pick<UserRecord, 'id' | 'totpKey'>, keyHex: string): Promise<void> {
  if (!user.totpKey || isSealed(user.totpKey)) return;
  await deps.db
    .update(users)
    .set({ totpKey: sealTotpKey(deps, user.id, keyHex) })
    .where(and(eq(users.id, user.id), eq(users.totpKey, user.totpKey)));
}

/** Encrypts every TOTP key still stored in plain form (run at start); returns how many were sealed. */
export async function sealPlainTotpKeys(deps: TotpDeps): Promise<number> {
  const plain = await deps.db
    .select({ id: users.id, totpKey: users.totpKey })
    .from(users)
    .where(and(isNotNull(users.totpKey), not(like(users.totpKey, 'enc:%'))));
  for (const u of plain) await sealIfPlain(deps, u, totpKeyHex(deps, u) as string);
  return plain.length;
}

function counterAt(clock: Clock, offset: number): bigint {
  return BigInt(Math.floor(clock.now().getTime() / 1000 / PERIOD) + offset);
}

export function verifyTotpCode(keyHex: string, code: string, clock: Clock): boolean {
  if (!/^\d{6}$/.test(code.trim())) return false;
  const key = decodeHex(keyHex);
  return [-1, 0, 1].some((o) => verifyHOTP(key, counterAt(clock, o), DIGITS, code.trim()));
}

/** Checks a code against the user's stored key (sealing a plain one on the way). */
export async function verifyUserTotp(deps: TotpDeps, user: Pick<UserRecord, 'id' | 'totpKey'>, code: string): Promise<boolean> {
  const keyHex = totpKeyHex(deps, user);
  if (!keyHex) return false;
  await sealIfPlain(deps, user, keyHex);
  return verifyTotpCode(keyHex, code, deps.clock);
}

/** For tests and the e2e run: the code an authenticator would show now. */
export function currentTotpCode(keyHex: string, clock: Clock): string {
  return generateHOTP(decodeHex(keyHex), counterAt(clock, 0), DIGITS);
}

/** Starts (or restarts) enrolment: a new key, not yet enabled. */
export async function beginTotpEnrolment(deps: TotpDeps, userId: string): Promise<{ secret: string; uri: string; keyHex: string }> {
  const user = await getUser(deps.db, userId);
  if (user.totpEnabled) throw new AuthError('Conflict', 'two-factor sign-in is already enabled');
  const key = new Uint8Array(20);
  crypto.getRandomValues(key);
  const keyHex = encodeHexLowerCase(key);
  await deps.db.update(users).set({ totpKey: sealTotpKey(deps, userId, keyHex) }).where(eq(users.id, userId));
  forgetValidatedSessions(deps, { userId });
  return { secret: encodeBase32UpperCaseNoPadding(key), uri: createTOTPKeyURI('kamikazi', user.email, key, PERIOD, DIGITS), keyHex };
}

/** Enables TOTP once the user proves the authenticator has the key. */
export async function confirmTotpEnrolment(deps: TotpDeps, userId: string, code: string, ip: string | null): Promise<void> {
  const user = await getUser(deps.db, userId);
  if (!user.totpKey) throw new AuthError('Validation', 'start two-factor enrolment first');
  if (!(await verifyUserTotp(deps, user, code))) {
    throw new AuthError('Validation', 'That code does not match. Check the time on your device and enter the current code.');
  }
  await deps.db.update(users).set({ totpEnabled: true }).where(eq(users.id, userId));
  forgetValidatedSessions(deps, { userId });
  await audit(deps, { action: 'totp.enable', result: 'ok', actorUserId: user.id, actorLabel: user.email, tenantId: user.tenantId, ip });
}
