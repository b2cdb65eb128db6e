// Throttling, table-backed so it holds across replicas: too many recent failed sign-ins for one account or
// from one address → refuse before checking the password. Password reset requests are counted the same way
// (every request counts, whether the account exists or not), under their own kind and limits.
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import type { Clock } from '../clock.ts';
import { loginAttempts } from '../db/schema/auth.ts';
import { AuthError } from './errors.ts';

export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
/** An address may try several accounts (an office behind one NAT), but not endlessly. */
export const MAX_FAILURES_PER_ADDRESS = 20;
/** Reset links: a user who lost one mail may ask again, but nobody can flood an inbox or the mailer. */
export const MAX_RESETS_PER_ACCOUNT = 3;
export const MAX_RESETS_PER_ADDRESS = 10;

export type AttemptKind = 'login' | 'reset';

const LIMITS: Record<AttemptKind, { account: number; address: number; message: (minutes: number) => string }> = {
  login: {
    account: MAX_FAILURES_PER_ACCOUNT,
    address: MAX_FAILURES_PER_ADDRESS,
    message: (m) => `Too many failed sign-in attempts. Try again in ${m} minute(s), or reset your password.`,
  },
  reset: {
    account: MAX_RESETS_PER_ACCOUNT,
    address: MAX_RESETS_PER_ADDRESS,
    message: (m) => `Too many password reset requests. Try again in ${m} minute(s).`,
  },
};

export async function assertNotThrottled(deps: { db: Db; clock: Clock }, email: string, ip: string, kind: AttemptKind = 'login'): Promise<void> {
  const since = new Date(deps.clock.now().getTime() - THROTTLE_WINDOW_MS);
  const count = (col: typeof loginAttempts.email | typeof loginAttempts.ip, value: string) =>
    deps.db
      .select({ n: sql<number>`count(*)::int`, first: sql<string | null>`min(${loginAttempts.at})::text` })
      .from(loginAttempts)
      .where(and(eq(col, value), eq(loginAttempts.kind, kind), eq(loginAttempts.success, false), gte(loginAttempts.at, since)));
  const [[byAccount], [byIp]] = await Promise.all([count(loginAttempts.email, email), count(loginAttempts.ip, ip)]);
  const limit = LIMITS[kind];
  const hit = Number(byAccount.n) >= limit.account ? byAccount : Number(byIp.n) >= limit.address ? byIp : null;
  if (hit) {
    const first = hit.first ? new Date(hit.first).getTime() : deps.clock.now().getTime();
    const retry = Math.max(1, Math.ceil((first + THROTTLE_WINDOW_MS - deps.clock.now().getTime()) / 1000));
    throw new AuthError('Throttled', limit.message(Math.ceil(retry / 60)), retry);
  }
}

/** Reset requests are recorded with success=false: each one counts toward the limits. */
export async function recordAttempt(deps: { db: Db; clock: Clock }, email: string, ip: string, success: boolean, kind: AttemptKind = 'login'): Promise<void> {
  const now = deps.clock.now();
  await deps.db.insert(loginAttempts).values({ email, ip, at: now, success, kind });
  if (success) {
    // A success clears the account's failure streak of that kind; the address keeps its count.
    await deps.db.delete(loginAttempts).where(and(eq(loginAttempts.email, email), eq(loginAttempts.kind, kind), eq(loginAttempts.success, false)));
  }
  // Old rows serve no purpose; trimming here keeps the table small without a job.
  await deps.db.delete(loginAttempts).where(lt(loginAttempts.at, new Date(now.getTime() - 2 * THROTTLE_WINDOW_MS)));
}
