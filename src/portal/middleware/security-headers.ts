// Security headers on every response: a CSP with no inline scripts, no framing, no sniffing, no referrer leaks.
// A route may set its own CSP or X-Frame-Options (the embedded invoice frame, the console page).
import type { MiddlewareHandler } from 'hono';
import { withDefaultHeaders } from './response-headers.ts';

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

export function securityHeaders(): MiddlewareHandler {
  return (c, next) => withDefaultHeaders(c, next, SECURITY_HEADERS);
}
