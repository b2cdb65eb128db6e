// CSRF defence for every state-changing request: the Origin (or Referer) must be this site, and the
// synchronizer token (form field `_csrf` or header `x-csrf-token`) must match the session's.
import type { MiddlewareHandler } from 'hono';
import { safeEqual } from '../../auth/tokens.ts';
import type { PortalEnv } from '../env.ts';
import type { PortalOptions } from '../options.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** This site's origins: the configured public URL and the origin the request itself was addressed to. */
export function expectedOrigins(requestUrl: string, opts: PortalOptions): string[] {
  const own = new URL(requestUrl).origin;
  return opts.publicUrl ? [new URL(opts.publicUrl).origin, own] : [own];
}

/** True when the request's Origin, or failing that its Referer, is this site. Neither → false. */
export function originAllowed(headers: { get(name: string): string | null | undefined }, requestUrl: string, opts: PortalOptions): boolean {
  const want = expectedOrigins(requestUrl, opts);
  const origin = headers.get('origin');
  if (origin) return want.includes(origin);
  const referer = headers.get('referer');
  if (!referer) return false;
  try {
    return want.includes(new URL(referer).origin);
  } catch {
    return false;
  }
}

export function csrfProtection(opts: PortalOptions, onFail: (reason: string) => Response | Promise<Response>): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    if (SAFE.has(c.req.method)) return next();
    if (!originAllowed(c.req.raw.headers, c.req.url, opts)) return onFail('the request did not come from this site');
    let sent = c.req.header('x-csrf-token');
    if (!sent) {
      const type = c.req.header('content-type') ?? '';
      if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
        const body = await c.req.parseBody();
        sent = typeof body._csrf === 'string' ? body._csrf : undefined;
      }
    }
    const want = c.get('csrf');
    if (!sent || !want || !safeEqual(sent, want)) return onFail('the form token is missing or stale');
    return next();
  };
}
