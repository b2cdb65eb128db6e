// Sessions as in the Lucia guide: random token in the cookie, SHA-256 of it as the row id,
// 30-day sliding expiry renewed once half of it has elapsed.
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/client.ts';
import { sessions, users } from '../db/schema/auth.ts';
import { tenants } from '../db/schema/billing.ts';
import { generateToken, hashToken } from './tokens.ts';
import { AuthError } from './errors.ts';

export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
export type SessionRecord = typeof sessions.$inferSelect;
export type UserRecord = typeof users.$inferSelect;

export interface AuthDeps {
  db: Db;
  clock: Clock;
}

export interface SessionMeta {
  ip?: string | null;
  userAgent?: string | null;
  twoFactorVerified?: boolean;
}

/** Creates a session; returns the cookie token (never stored) and the row. */
export async function createSession(
  deps: AuthDeps,
  userId: string,
  meta: SessionMeta = {},
): Promise<{ token: string; session: SessionRecord }> {
  const token = generateToken();
  const now = deps.clock.now();
  const [session] = await deps.db
    .insert(sessions)
    .values({
      id: hashToken(token),
      userId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + SESSION_TTL_MS),
      csrfToken: generateToken(),
      twoFactorVerified: meta.twoFactorVerified ?? false,
      ip: meta.ip ?? null,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
    })
    .returning();
  return { token, session };
}

export interface ValidSession {
  session: SessionRecord;
  user: UserRecord;
  /** True when the expiry moved: the caller re-sends the cookie with the new expiry. */
  renewed: boolean;
  /** Set while the user's tenant is suspended (every page says so); read in the same query as the session. */
  suspension: { reason: string; since: Date } | null;
}

/** The lookup runs on every signed-in request: a named prepared statement per database handle saves re-planning it. */
const lookups = new WeakMap<Db, ReturnType<typeof prepareLookup>>();
function prepareLookup(db: Db) {
  return db
    .select({ session: sessions, user: users, tenantStatus: tenants.status, suspendedReason: tenants.suspendedReason, suspendedAt: tenants.suspendedAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .leftJoin(tenants, eq(tenants.id, users.tenantId))
    .where(eq(sessions.id, sql.placeholder('id')))
    .prepare('kb_session_lookup');
}
function lookup(db: Db) {
  let q = lookups.get(db);
  if (!q) lookups.set(db, (q = prepareLookup(db)));
  return q;
}

/** Looks up the session a cookie token names; expired sessions and suspended users are refused (and expired rows deleted). */
export async function validateSessionToken(deps: AuthDeps, token: string): Promise<ValidSession | null> {
  if (!/^[a-z2-7]{32}$/.test(token)) return null;
  const id = hashToken(token);
  const [row] = await lookup(deps.db).execute({ id });
  if (!row) return null;
  const now = deps.clock.now().getTime();
  if (now >= row.session.expiresAt.getTime()) {
    await deps.db.delete(sessions).where(eq(sessions.id, id));
    return null;
  }
  if (row.user.suspendedAt) return null;
  let renewed = false;
  const session = row.session;
  if (now >= session.expiresAt.getTime() - SESSION_TTL_MS / 2) {
    session.expiresAt = new Date(now + SESSION_TTL_MS);
    session.lastSeenAt = new Date(now);
    await deps.db.update(sessions).set({ expiresAt: session.expiresAt, lastSeenAt: session.lastSeenAt }).where(eq(sessions.id, id));
    renewed = true;
  } else if (now - session.lastSeenAt.getTime() > 60_000) {
    // Keep "last seen" roughly current for the sessions list without a write per request.
    session.lastSeenAt = new Date(now);
    await deps.db.update(sessions).set({ lastSeenAt: session.lastSeenAt }).where(eq(sessions.id, id));
  }
  const suspension = row.tenantStatus === 'suspended' ? { reason: row.suspendedReason ?? 'no reason was given', since: row.suspendedAt ?? session.createdAt } : null;
  return { session, user: row.user, renewed, suspension };
}

export async function markTwoFactorVerified(deps: AuthDeps, sessionId: string): Promise<void> {
  await deps.db.update(sessions).set({ twoFactorVerified: true }).where(eq(sessions.id, sessionId));
}

export async function invalidateSession(deps: AuthDeps, sessionId: string): Promise<void> {
  await deps.db.delete(sessions).where(eq(sessions.id, sessionId));
}

export async function invalidateUserSessions(deps: AuthDeps, userId: string): Promise<void> {
  await deps.db.delete(sessions).where(eq(sessions.userId, userId));
}

export interface SessionSummary {
  /** A short public handle (first 16 hex of the hash), never the token. */
  handle: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

export async function listSessions(deps: AuthDeps, userId: string, currentSessionId?: string): Promise<SessionSummary[]> {
  await deps.db.delete(sessions).where(and(eq(sessions.userId, userId), lt(sessions.expiresAt, deps.clock.now())));
  const list = await deps.db.select().from(sessions).where(eq(sessions.userId, userId)).orderBy(desc(sessions.lastSeenAt));
  return list.map((s) => ({
    handle: s.id.slice(0, 16),
    createdAt: s.createdAt,
    lastSeenAt: s.lastSeenAt,
    expiresAt: s.expiresAt,
    ip: s.ip,
    userAgent: s.userAgent,
    current: s.id === currentSessionId,
  }));
}

/** Revokes one of the user's own sessions by its public handle. */
export async function revokeSession(deps: AuthDeps, userId: string, handle: string): Promise<void> {
  if (!/^[0-9a-f]{16}$/.test(handle)) throw new AuthError('NotFound', 'session not found');
  const list = await deps.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId));
  const match = list.find((s) => s.id.startsWith(handle));
  if (!match) throw new AuthError('NotFound', 'session not found');
  await deps.db.delete(sessions).where(and(eq(sessions.id, match.id), eq(sessions.userId, userId)));
}
