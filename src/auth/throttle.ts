// Login throttling, table-backed so it holds across replicas: too many recent failures for one account
// or from one address → refuse before checking the password.
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import type { Clock } from '../clock.ts';
import { loginAttempts } from '../db/schema/auth.ts';
import { AuthError } from './errors.ts';

export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
/** An address may try several accounts (an office behind one NAT), but not endlessly. */
export const MAX_FAILURES_PER_ADDRESS = 20;

export async function assertNotThrottled(deps: { db: Db; clock: Clock }, email: string, ip: string): Promise<void> {
  const since = new Date(deps.clock.now().getTime() - THROTTLE_WINDOW_MS);
  const count = (col: typeof loginAttempts.email | typeof loginAttempts.ip, value: string) =>
    deps.db
      .select({ n: sql<number>`count(*)::int`, first: sql<string | null>`min(${loginAttempts.at})::text` })
      .from(loginAttempts)
      .where(and(eq(col, value), eq(loginAttempts.success, false), gte(loginAttempts.at, since)));
  const [[byAccount], [byIp]] = await Promise.all([count(loginAttempts.email, email), count(loginAttempts.ip, ip)]);
  const hit = Number(byAccount.n) >= MAX_FAILURES_PER_ACCOUNT ? byAccount : Number(byIp.n) >= MAX_FAILURES_PER_ADDRESS ? byIp : null;
  if (hit) {
    const first = hit.first ? new Date(hit.first).getTime() : deps.clock.now().getTime();
    const retry = Math.max(1, Math.ceil((first + THROTTLE_WINDOW_MS - deps.clock.now().getTime()) / 1000));
    throw new AuthError(
      'Throttled',
      `Too many failed sign-in attempts. Try again in ${Math.ceil(retry / 60)} minute(s), or reset your password.`,
      retry,
    );
  }
}

export async function recordAttempt(deps: { db: Db; clock: Clock }, email: string, ip: string, success: boolean): Promise<void> {
  const now = deps.clock.now();
  await deps.db.insert(loginAttempts).values({ email, ip, at: now, success });
  if (success) {
    // A success clears the account's failure streak; the address keeps its count.
    await deps.db.delete(loginAttempts).where(and(eq(loginAttempts.email, email), eq(loginAttempts.success, false)));
  }
  // Old rows serve no purpose; trimming here keeps the table small without a job.
  await deps.db.delete(loginAttempts).where(lt(loginAttempts.at, new Date(now.getTime() - 2 * THROTTLE_WINDOW_MS)));
}
