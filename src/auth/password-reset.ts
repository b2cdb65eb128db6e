// Password reset by a single-use link that expires in an hour, sent through the Mailer.
import { and, eq, gt, isNull } from 'drizzle-orm';
import { passwordResets } from '../db/schema/auth.ts';
import type { AuthDeps } from './sessions.ts';
import type { Mailer } from './mailer.ts';
import { generateToken, hashToken } from './tokens.ts';
import { findUserByEmail, normalizeEmail, setPassword } from './users.ts';
import { assertNotThrottled, recordAttempt } from './throttle.ts';
import { checkPasswordRules } from './passwords.ts';
import { audit } from './audit.ts';
import { AuthError } from './errors.ts';

export const RESET_TTL_MS = 60 * 60 * 1000;

export type ResetRequestOutcome = 'sent' | 'skipped' | 'throttled';

/**
 * Always succeeds from the caller's view, so the form does not reveal which emails have accounts. Requests
 * are throttled per address asked for and per client address (counted whether the account exists or not,
 * so the limit itself reveals nothing); the outcome is for logs and tests, never for the answer.
 */
export async function requestPasswordReset(deps: AuthDeps, mailer: Mailer, email: string, baseUrl: string, ip = 'unknown'): Promise<ResetRequestOutcome> {
  const address = normalizeEmail(email).slice(0, 320);
  try {
    await assertNotThrottled(deps, address, ip, 'reset');
  } catch (err) {
    if (!(err instanceof AuthError) || err.code !== 'Throttled') throw err;
    await audit(deps, { action: 'password.reset_request', result: 'throttled', actorLabel: address, ip });
    return 'throttled';
  }
  await recordAttempt(deps, address, ip, false, 'reset');
  const user = await findUserByEmail(deps.db, address);
  if (!user || user.suspendedAt) return 'skipped';
  const token = generateToken();
  const now = deps.clock.now();
  await deps.db.insert(passwordResets).values({ id: hashToken(token), userId: user.id, createdAt: now, expiresAt: new Date(now.getTime() + RESET_TTL_MS) });
  const link = `${baseUrl.replace(/\/$/, '')}/reset/${token}`;
  await audit(deps, { action: 'password.reset_request', result: 'ok', actorUserId: user.id, actorLabel: user.email, tenantId: user.tenantId, ip });
  // Delivered after the answer: an SMTP round trip that only real accounts waited for would tell who has one.
  // A delivery that fails is audited; the user can ask again.
  void mailer
    .send({
      to: user.email,
      subject: 'Reset your kamikazi password',
      text: `Someone asked to reset the password for ${user.email}.\n\nSet a new password here (valid for one hour, once):\n${link}\n\nIf it was not you, ignore this message.`,
    })
    .catch((err: unknown) =>
      audit(deps, { action: 'password.reset_mail', result: 'failed', actorUserId: user.id, actorLabel: user.email, tenantId: user.tenantId, ip, detail: { error: String(err) } }),
    )
    .catch(() => {}); // the audit write itself failed: nothing left to tell
  return 'sent';
}

export async function resetPassword(deps: AuthDeps, token: string, password: string, ip: string | null = null): Promise<void> {
  checkPasswordRules(password);
  const [row] = await deps.db
    .update(passwordResets)
    .set({ usedAt: deps.clock.now() })
    .where(and(eq(passwordResets.id, hashToken(token)), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, deps.clock.now())))
    .returning();
  if (!row) throw new AuthError('InvalidToken', 'This reset link is invalid, was already used, or has expired. Ask for a new one.');
  // setPassword ends every session: whoever knew the old password is signed out.
  await setPassword(deps, row.userId, password);
  await audit(deps, { action: 'password.reset', result: 'ok', actorUserId: row.userId, ip });
}
