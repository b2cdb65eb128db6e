// Optional TOTP (RFC 6238: 30 s, 6 digits) with @oslojs/otp's HOTP, counted from the injected clock
// (oslo's TOTP helpers read Date.now(), which tests cannot move). One step of drift is accepted.
import { createTOTPKeyURI, generateHOTP, verifyHOTP } from '@oslojs/otp';
import { decodeHex, encodeBase32UpperCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import { eq } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import { users } from '../db/schema/auth.ts';
import type { AuthDeps } from './sessions.ts';
import { getUser } from './users.ts';
import { audit } from './audit.ts';
import { AuthError } from './errors.ts';

const PERIOD = 30;
const DIGITS = 6;

function counterAt(clock: Clock, offset: number): bigint {
  return BigInt(Math.floor(clock.now().getTime() / 1000 / PERIOD) + offset);
}

export function verifyTotpCode(keyHex: string, code: string, clock: Clock): boolean {
  if (!/^\d{6}$/.test(code.trim())) return false;
  const key = decodeHex(keyHex);
  return [-1, 0, 1].some((o) => verifyHOTP(key, counterAt(clock, o), DIGITS, code.trim()));
}

/** For tests and the e2e run: the code an authenticator would show now. */
export function currentTotpCode(keyHex: string, clock: Clock): string {
  return generateHOTP(decodeHex(keyHex), counterAt(clock, 0), DIGITS);
}

/** Starts (or restarts) enrolment: a new key, not yet enabled. */
export async function beginTotpEnrolment(deps: AuthDeps, userId: string): Promise<{ secret: string; uri: string; keyHex: string }> {
  const user = await getUser(deps.db, userId);
  if (user.totpEnabled) throw new AuthError('Conflict', 'two-factor sign-in is already enabled');
  const key = new Uint8Array(20);
  crypto.getRandomValues(key);
  const keyHex = encodeHexLowerCase(key);
  await deps.db.update(users).set({ totpKey: keyHex }).where(eq(users.id, userId));
  return { secret: encodeBase32UpperCaseNoPadding(key), uri: createTOTPKeyURI('kamikazi', user.email, key, PERIOD, DIGITS), keyHex };
}

/** Enables TOTP once the user proves the authenticator has the key. */
export async function confirmTotpEnrolment(deps: AuthDeps, userId: string, code: string, ip: string | null): Promise<void> {
  const user = await getUser(deps.db, userId);
  if (!user.totpKey) throw new AuthError('Validation', 'start two-factor enrolment first');
  if (!verifyTotpCode(user.totpKey, code, deps.clock)) {
    throw new AuthError('Validation', 'That code does not match. Check the time on your device and enter the current code.');
  }
  await deps.db.update(users).set({ totpEnabled: true }).where(eq(users.id, userId));
  await audit(deps, { action: 'totp.enable', result: 'ok', actorUserId: user.id, actorLabel: user.email, tenantId: user.tenantId, ip });
}
