// Loads the session named by the cookie, renews the cookie when the expiry slid, and provides the CSRF token
// for forms (session-bound when signed in, a pre-session double-submit cookie on sign-in forms).
import type { MiddlewareHandler, Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppContext } from '../../context.ts';
import { validateSessionToken, type ValidSession } from '../../auth/sessions.ts';
import { generateToken } from '../../auth/tokens.ts';
import { actorFromSession, type PortalEnv, type SessionAuth } from '../env.ts';
import type { PortalOptions } from '../options.ts';

export const SESSION_COOKIE = 'kb_session';
export const PRE_CSRF_COOKIE = 'kb_csrf';

export function isSecure(c: Context, opts: PortalOptions): boolean {
  return !!opts.publicUrl?.startsWith('https:') || new URL(c.req.url).protocol === 'https:';
}

export function setSessionCookie(c: Context, opts: PortalOptions, token: string, expiresAt: Date): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: isSecure(c, opts),
    path: '/',
    expires: expiresAt,
  });
}

export function clearSessionCookie(c: Context, opts: PortalOptions): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isSecure(c, opts), httpOnly: true, sameSite: 'Lax' });
}

/**
 * One auth object per validation: while a session's validation is cached (auth/sessions.ts) its requests share
 * it, so pages can key what they render for a session on it. Shared: handlers must not change it.
 */
const auths = new WeakMap<ValidSession, SessionAuth>();
function authOf(valid: ValidSession): SessionAuth {
  let auth = auths.get(valid);
  if (!auth) auths.set(valid, (auth = { user: valid.user, session: valid.session, actor: actorFromSession(valid.user), suspension: valid.suspension }));
  return auth;
}

export function sessionMiddleware(ctx: AppContext, opts: PortalOptions): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    c.set('auth', null);
    c.set('pending', null);
    const token = getCookie(c, SESSION_COOKIE);
    if (token) {
      const valid = await validateSessionToken(ctx, token);
      if (!valid) {
        clearSessionCookie(c, opts);
      } else {
        const auth = authOf(valid);
        if (valid.session.twoFactorVerified) c.set('auth', auth);
        else c.set('pending', auth);
        if (valid.renewed) setSessionCookie(c, opts, token, valid.session.expiresAt);
      }
    }
    const auth = c.get('auth') ?? c.get('pending');
    if (auth) {
      c.set('csrf', auth.session.csrfToken);
    } else {
      let pre = getCookie(c, PRE_CSRF_COOKIE);
      if (!pre || !/^[a-z2-7]{32}$/.test(pre)) {
        pre = generateToken();
        setCookie(c, PRE_CSRF_COOKIE, pre, { httpOnly: true, sameSite: 'Lax', secure: isSecure(c, opts), path: '/' });
      }
      c.set('csrf', pre);
    }
    await next();
  };
}
