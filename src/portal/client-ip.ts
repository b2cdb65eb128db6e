// The address a request came from, for login throttling and the audit log. Behind a reverse proxy every socket
// belongs to the proxy, so X-Forwarded-For is read — but only when the socket is a configured trusted proxy
// (TRUSTED_PROXIES), and from the right: each trusted hop appends the address it saw, anything further left
// was written by the client and proves nothing.
import type { Context, MiddlewareHandler } from 'hono';

/** `::ffff:10.0.0.1` (an IPv4 socket on a dual-stack listener) is 10.0.0.1. */
export function normalizeIp(ip: string): string {
  const s = ip.trim().toLowerCase();
  return s.startsWith('::ffff:') && s.includes('.') ? s.slice(7) : s;
}

export function resolveClientIp(socketAddress: string | undefined, forwardedFor: string | undefined, trusted: ReadonlySet<string>): string {
  const peer = socketAddress ? normalizeIp(socketAddress) : 'unknown';
  if (!trusted.has(peer) || !forwardedFor) return peer;
  const hops = forwardedFor.split(',').map(normalizeIp).filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) if (!trusted.has(hops[i]!)) return hops[i]!;
  return hops[0] ?? peer;
}

/** The context variable naming this app's trusted proxies (set only when there are some). */
const TRUSTED = 'trustedProxies';
const NONE: ReadonlySet<string> = new Set();

function socketAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

/** Lets clientIp trust X-Forwarded-For from these proxies. Needed only when there are some. */
export function clientIpMiddleware(trustedProxies: readonly string[]): MiddlewareHandler {
  const trusted: ReadonlySet<string> = new Set(trustedProxies.map(normalizeIp));
  return (c, next) => {
    c.set(TRUSTED, trusted);
    return next();
  };
}

/** The client's address, resolved when asked (a few routes do): the socket's peer, or behind trusted proxies the first untrusted hop. */
export function clientIp(c: Context): string {
  const trusted = (c.get(TRUSTED) as ReadonlySet<string> | undefined) ?? NONE;
  return resolveClientIp(socketAddress(c), trusted.size > 0 ? c.req.header('x-forwarded-for') : undefined, trusted);
}
