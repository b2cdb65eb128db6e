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

const resolved = new WeakMap<Request, string>();

function socketAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

/** Resolves each request's client address once, for `clientIp`. */
export function clientIpMiddleware(trustedProxies: readonly string[]): MiddlewareHandler {
  const trusted = new Set(trustedProxies.map(normalizeIp));
  return async (c, next) => {
    resolved.set(c.req.raw, resolveClientIp(socketAddress(c), c.req.header('x-forwarded-for'), trusted));
    await next();
  };
}

/** The client's address: resolved by clientIpMiddleware, else the socket's peer. */
export function clientIp(c: Context): string {
  return resolved.get(c.req.raw) ?? (socketAddress(c) ? normalizeIp(socketAddress(c)!) : 'unknown');
}
