// Error pages: what went wrong in words a tenant can act on, never internals.
import type { Context } from 'hono';
import { Layout } from './layout.tsx';
import { page } from '../render.ts';
import type { PortalEnv } from '../env.ts';

export function errorPage(c: Context<PortalEnv>, status: 400 | 401 | 403 | 404 | 409 | 429 | 500 | 503, title: string, text: string): Promise<Response> {
  let auth = null;
  let csrf = '';
  try {
    auth = c.get('auth') ?? null;
    csrf = c.get('csrf') ?? '';
  } catch {
    // variables not set (error before the session middleware ran)
  }
  return page(
    c,
    <Layout title={title} auth={auth} csrf={csrf} notice={{ kind: 'error', text }}>
      <h1>{title}</h1>
      <p>
        <a href="/">Back to the dashboard</a>
      </p>
    </Layout>,
    status,
  );
}
