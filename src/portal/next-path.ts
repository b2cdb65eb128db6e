// Where to go after signing in: the page an unauthenticated visit was sent away from. Only a path on this
// site is accepted, so a crafted link (`/login?next=//evil.example`) cannot turn the sign-in into a redirect
// to somewhere else.

const BASE = 'http://portal.invalid';
const MAX = 2000;

/** A same-origin path (with query and fragment) or null; refuses `//host`, schemes, backslashes, control characters. */
export function safeNextPath(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX) return null;
  // Browsers read `\` as `/` and drop tabs and newlines, so `/\evil` or `/\t/evil` would leave the site.
  if (!raw.startsWith('/') || raw.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(raw)) return null;
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return null;
  }
  if (url.origin !== BASE) return null;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Back to the sign-in pages would loop; the dashboard is the better landing.
  if (/^\/(login|logout)(\/|$|\?)/.test(path) || path.startsWith('//')) return null;
  return path;
}

/** `/login` (or the TOTP step) carrying where to return, when there is somewhere worth returning to. */
export function signInUrl(base: '/login' | '/login/totp', next: string | null): string {
  return next && next !== '/' ? `${base}?next=${encodeURIComponent(next)}` : base;
}
