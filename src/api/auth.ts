// Who is calling the API. A bearer API token (`Authorization: Bearer kb_…`) is the API's credential; the
// portal's own session cookie is also accepted so the portal's JavaScript can call the API, but then every
// state change must come from this site (Origin/Referer) and carry the session's CSRF token in X-CSRF-Token,
// exactly as the portal's forms do. An Authorization header, once sent, is never silently replaced by the cookie.
import type { Context, MiddlewareHandler, Next } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppContext } from '../context.ts';
import { authenticateApiToken } from '../auth/api-tokens.ts';
import { validateSessionToken } from '../auth/sessions.ts';
import { hashToken, safeEqual } from '../auth/tokens.ts';
import { AuthError } from '../auth/errors.ts';
import { assertOperator, type Actor } from '../auth/actor.ts';
import { actorFromSession } from '../portal/env.ts';
import { SESSION_COOKIE } from '../portal/middleware/session.ts';
import { originAllowed } from '../portal/middleware/csrf.ts';
import type { Mailer } from '../auth/mailer.ts';
import type { ApiEnv } from './env.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface ApiAuthOptions {
  /** The service's public URL: an Origin equal to it passes the CSRF check (besides the request's own origin). */
  publicUrl?: string;
  /** How long a verified token is trusted without asking the database again; 0 = every request. */
  tokenCacheMs?: number;
}

/**
 * Verified bearer tokens for a moment, keyed by the token's SHA-256: a busy client then costs one query per
 * request instead of two. Concurrent requests share one lookup, so an expiring entry under load costs one query,
 * not one per connection. Revocation through this API drops the entry at once; a revocation or suspension
 * made elsewhere (portal, another replica) takes effect within `ttlMs`. Unknown tokens are not remembered.
 */
export class TokenCache {
  private readonly entries = new Map<string, { lookup: Promise<Actor | null>; actor?: Actor; until: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly max = 10_000,
  ) {}
  /** The actor of a verified token still fresh in the cache, without waiting on anything. */
  peek(key: string, now: number): Actor | undefined {
    const hit = this.entries.get(key);
    return hit && now < hit.until ? hit.actor : undefined;
  }
  get(key: string, now: number, load: () => Promise<Actor | null>): Promise<Actor | null> {
    const hit = this.entries.get(key);
    if (hit && now < hit.until) return hit.lookup;
    if (this.ttlMs <= 0) return load();
    if (this.entries.size >= this.max) this.entries.clear();
    const entry: { lookup: Promise<Actor | null>; actor?: Actor; until: number } = { lookup: load(), until: now + this.ttlMs };
    this.entries.set(key, entry);
    const drop = () => this.entries.get(key) === entry && this.entries.delete(key);
    entry.lookup.then((a) => (a ? (entry.actor = a) : drop()), drop);
    return entry.lookup;
  }
  /** Forget every cached use of one token (by its id), and lookups still in flight. */
  dropToken(tokenId: string): void {
    for (const [k, e] of this.entries) if (!e.actor || e.actor.tokenId === tokenId) this.entries.delete(k);
  }
}

const BAD_TOKEN = 'the bearer token is not valid: unknown, revoked, or its user is suspended';

export function apiAuth(ctx: Pick<AppContext, 'db' | 'clock'>, opts: ApiAuthOptions, cache: TokenCache): MiddlewareHandler<ApiEnv> {
  async function viaToken(c: Context<ApiEnv>, next: Next, token: string, key: string, now: number): Promise<void> {
    const actor = await cache.get(key, now, () => authenticateApiToken(ctx, token));
    if (!actor) throw new AuthError('Unauthenticated', BAD_TOKEN);
    c.set('actor', actor);
    return next();
  }

  async function viaSession(c: Context<ApiEnv>, next: Next): Promise<void> {
    const cookie = getCookie(c, SESSION_COOKIE);
    const valid = cookie ? await validateSessionToken(ctx, cookie) : null;
    // A session still owing its TOTP code is not signed in.
    if (!valid || !valid.session.twoFactorVerified) {
      throw new AuthError('Unauthenticated', 'send Authorization: Bearer kb_… with an API token (create one in the portal under Account)');
    }
    if (!SAFE.has(c.req.method)) {
      if (!originAllowed(c.req.raw.headers, c.req.url, { publicUrl: opts.publicUrl, mailer: NO_MAILER })) {
        throw new AuthError('Forbidden', 'a session-authenticated state change must come from this site (Origin header)');
      }
      const sent = c.req.header('x-csrf-token');
      if (!sent || !safeEqual(sent, valid.session.csrfToken)) {
        throw new AuthError('Forbidden', "a session-authenticated state change needs the session's CSRF token in X-CSRF-Token");
      }
    }
    c.set('actor', actorFromSession(valid.user));
    return next();
  }

  return (c, next) => {
    const authz = c.req.header('authorization');
    if (authz === undefined) return viaSession(c, next);
    const m = /^Bearer +(\S+) *$/i.exec(authz);
    if (!m) throw new AuthError('Unauthenticated', BAD_TOKEN);
    const key = hashToken(m[1]!);
    const now = ctx.clock.now().getTime();
    // A client polling with one token is answered from the cache without waiting on a promise.
    const cached = cache.peek(key, now);
    if (!cached) return viaToken(c, next, m[1]!, key, now);
    c.set('actor', cached);
    return next();
  };
}

// originAllowed takes the portal's whole options object but reads only publicUrl.
const NO_MAILER: Mailer = { send: async () => {} };

/** Token management is for people signed in to the portal: an API token can neither mint nor revoke tokens. */
export function assertSessionCaller(actor: Actor): void {
  if (actor.via !== 'session') throw new AuthError('Forbidden', 'API tokens cannot manage API tokens; sign in to the portal');
}

/** Tenant-wide resources (invoices, tokens, hosts, tenants) are out of reach of a token limited to one VM. */
export function assertTenantWide(actor: Actor): void {
  if (actor.vmUuid) throw new AuthError('Forbidden', 'this API token is limited to one VM');
}

/** A read-only token may not change anything. */
export function assertWritable(actor: Actor): void {
  if (actor.readOnly) throw new AuthError('Forbidden', 'this API token is read-only');
}

/** Operator routes: operators only, and not through a VM-limited token. */
export function assertOperatorCaller(actor: Actor): void {
  assertOperator(actor);
  assertTenantWide(actor);
}
