// Security headers on every response: a CSP with no inline scripts, no framing, no sniffing, no referrer leaks.
// A route may set its own CSP or X-Frame-Options (the embedded invoice frame, the console page).
// Data answers (the JSON API, its problems and downloads) get the set that applies to a response no browser
// renders as a page: nothing may load from it, frame it, sniff it or read it from another origin. Referrer,
// permissions and opener policies only mean something for a document.
import type { MiddlewareHandler } from 'hono';
import { withDefaultHeaders } from './response-headers.ts';

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

export const DATA_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  // The API also answers the portal's session cookie: no other site may pull its JSON in as a subresource.
  'cross-origin-resource-policy': 'same-origin',
};

/** isData(path): whether the response at that path is data rather than a document. */
export function securityHeaders(isData: (path: string) => boolean): MiddlewareHandler {
  return (c, next) => withDefaultHeaders(c, next, isData(c.req.path) ? DATA_SECURITY_HEADERS : PAGE_SECURITY_HEADERS);
}
