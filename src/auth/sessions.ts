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

/**
 * Validated sessions are trusted for a second without asking the database: every signed-in page and session API
 * call validates, and under load that query was most of a request's cost. Sign-out, revocation, TOTP verification,
 * suspension and password changes made through this module drop the entries at once; a change made elsewhere
 * (another replica, SQL) takes effect within SESSION_CACHE_MS. A hit is only served while validation would write
 * nothing (no renewal, no last-seen update due), so expiry and sliding renewal behave as without the cache.
 */
export const SESSION_CACHE_MS = 1000;
/** A lookup by session id, shared by concurrent requests (one query when an entry expires under load, not fifty). */
interface Validation {
  lookup: Promise<ValidSession | null>;
  /** Set once the lookup found a valid session (entries that found none are dropped). */
  valid?: ValidSession;
  until: number;
}
const validated = new WeakMap<Db, Map<string, Validation>>();
function cacheOf(db: Db) {
  let m = validated.get(db);
  if (!m) validated.set(db, (m = new Map()));
  return m;
}

/** Drops cached validations: of one session, of every session of a user, or all (tenant suspension changed). */
export function forgetValidatedSessions(deps: Pick<AuthDeps, 'db'>, which: { sessionId: string } | { userId: string } | 'all'): void {
  const m = cacheOf(deps.db);
  if (which === 'all') m.clear();
  else if ('sessionId' in which) m.delete(which.sessionId);
  // Lookups still in flight have no user yet: dropped too.
  else for (const [id, e] of m) if (!e.valid || e.valid.user.id === which.userId) m.delete(id);
}

/** Validation writes when the expiry should slide or "last seen" is over a minute old. */
const renewalDue = (s: SessionRecord, now: number) => now >= s.expiresAt.getTime() - SESSION_TTL_MS / 2;
const lastSeenDue = (s: SessionRecord, now: number) => now - s.lastSeenAt.getTime() > 60_000;

/** Looks up the session a cookie token names; expired sessions and suspended users are refused (and expired rows deleted). */
export async function validateSessionToken(deps: AuthDeps, token: string): Promise<ValidSession | null> {
  if (!/^[a-z2-7]{32}$/.test(token)) return null;
  const id = hashToken(token);
  const now = deps.clock.now().getTime();
  const cache = cacheOf(deps.db);
  const hit = cache.get(id);
  if (hit && now < hit.until) {
    if (!hit.valid) return hit.lookup; // still in flight: share it
    if (!renewalDue(hit.valid.session, now) && !lastSeenDue(hit.valid.session, now)) return hit.valid;
  }
  const entry: Validation = { lookup: lookupSession(deps, id, now), until: now + SESSION_CACHE_MS };
  if (cache.size >= 10_000) cache.clear();
  cache.set(id, entry);
  const drop = () => cache.get(id) === entry && cache.delete(id);
  // Only valid sessions are remembered.
  entry.lookup.then((v) => (v ? (entry.valid = v.renewed ? { ...v, renewed: false } : v) : drop()), drop);
  return entry.lookup;
}

async function lookupSession(deps: AuthDeps, id: string, now: number): Promise<ValidSession | null> {
  const [row] = await lookup(deps.db).execute({ id });
  if (!row) return null;
  if (now >= row.session.expiresAt.getTime()) {
    await deps.db.delete(sessions).where(eq(sessions.id, id));
    return null;
  }
  if (row.user.suspendedAt) return null;
  let renewed = false;
  const session = row.session;
  if (renewalDue(session, now)) {
    session.expiresAt = new Date(now + SESSION_TTL_MS);
    session.lastSeenAt = new Date(now);
    await deps.db.update(sessions).set({ expiresAt: session.expiresAt, lastSeenAt: session.lastSeenAt }).where(eq(sessions.id, id));
    renewed = true;
  } else if (lastSeenDue(session, now)) {
    // Keep "last seen" roughly current for the sessions list without a write per request.
    session.lastSeenAt = new Date(now);
    await deps.db.update(sessions).set({ lastSeenAt: session.lastSeenAt }).where(eq(sessions.id, id));
  }
  const suspension = row.tenantStatus === 'suspended' ? { reason: row.suspendedReason ?? 'no reason was given', since: row.suspendedAt ?? session.createdAt } : null;
  return { session, user: row.user, renewed, suspension };
}

export async function markTwoFactorVerified(deps: AuthDeps, sessionId: string): Promise<void> {
  await deps.db.update(sessions).set({ twoFactorVerified: true }).where(eq(sessions.id, sessionId));
  forgetValidatedSessions(deps, { sessionId });
}

export async function invalidateSession(deps: AuthDeps, sessionId: string): Promise<void> {
  await deps.db.delete(sessions).where(eq(sessions.id, sessionId));
  forgetValidatedSessions(deps, { sessionId });
}

export async function invalidateUserSessions(deps: AuthDeps, userId: string): Promise<void> {
  await deps.db.delete(sessions).where(eq(sessions.userId, userId));
  forgetValidatedSessions(deps, { userId });
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
  forgetValidatedSessions(deps, { sessionId: match.id });
}
