// Sign-in: throttle check, password (and later TOTP) verification, session creation, audit.
import type { AuthDeps, SessionRecord, UserRecord } from './sessions.ts';
import { createSession, markTwoFactorVerified } from './sessions.ts';
import { assertNotThrottled, recordAttempt } from './throttle.ts';
import { dummyHash, verifyPassword } from './passwords.ts';
import { findUserByEmail, normalizeEmail } from './users.ts';
import { audit } from './audit.ts';
import { AuthError } from './errors.ts';
import { verifyUserTotp, type TotpDeps } from './totp.ts';

export interface LoginInput {
  email: string;
  password: string;
  ip: string;
  userAgent?: string | null;
}

export interface LoginResult {
  token: string;
  session: SessionRecord;
  user: UserRecord;
  /** The session is not usable until a TOTP code is given (verifyLoginTotp). */
  needsTotp: boolean;
}

const BAD_CREDENTIALS = 'Wrong email or password.';

export async function login(deps: AuthDeps, input: LoginInput): Promise<LoginResult> {
  const email = normalizeEmail(input.email).slice(0, 320);
  try {
    await assertNotThrottled(deps, email, input.ip);
  } catch (err) {
    await audit(deps, { action: 'login', result: 'throttled', actorLabel: email, ip: input.ip });
    throw err;
  }
  const user = await findUserByEmail(deps.db, email);
  const ok = user?.passwordHash
    ? await verifyPassword(user.passwordHash, input.password)
    : (await verifyPassword(await dummyHash(), input.password), false);
  if (!user || !ok || user.suspendedAt) {
    await recordAttempt(deps, email, input.ip, false);
    await audit(deps, {
      action: 'login',
      result: 'failed',
      actorUserId: user?.id,
      actorLabel: email,
      tenantId: user?.tenantId,
      ip: input.ip,
      detail: { reason: !user ? 'unknown account' : !ok ? 'wrong password' : 'suspended' },
    });
    throw new AuthError('Unauthenticated', BAD_CREDENTIALS);
  }
  await recordAttempt(deps, email, input.ip, true);
  const { token, session } = await createSession(deps, user.id, {
    ip: input.ip,
    userAgent: input.userAgent,
    twoFactorVerified: !user.totpEnabled,
  });
  await audit(deps, {
    action: 'login',
    result: 'ok',
    actorUserId: user.id,
    actorLabel: email,
    tenantId: user.tenantId,
    ip: input.ip,
    detail: user.totpEnabled ? { step: 'password; totp pending' } : undefined,
  });
  return { token, session, user, needsTotp: user.totpEnabled };
}

/** Second step for TOTP users; failures count toward the same per-account throttle. */
export async function verifyLoginTotp(
  deps: TotpDeps,
  session: SessionRecord,
  user: UserRecord,
  code: string,
  ip: string,
): Promise<void> {
  await assertNotThrottled(deps, user.email, ip);
  const ok = await verifyUserTotp(deps, user, code);
  await recordAttempt(deps, user.email, ip, ok);
  await audit(deps, { action: 'login.totp', result: ok ? 'ok' : 'failed', actorUserId: user.id, actorLabel: user.email, tenantId: user.tenantId, ip });
  if (!ok) throw new AuthError('Unauthenticated', 'That code is not valid. Use the current code from your authenticator app.');
  await markTwoFactorVerified(deps, session.id);
}
