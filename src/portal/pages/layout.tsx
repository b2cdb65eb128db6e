// The page frame: head with our own assets only, top navigation by role, optional notice.
import type { Child, FC } from 'hono/jsx';
import { raw } from 'hono/html';
import type { SessionAuth } from '../env.ts';
import { suspensionText } from '../actions/suspension.ts';
import { escapeHtml } from '../render.ts';

export interface Notice {
  kind: 'ok' | 'error' | 'info';
  text: string;
}

export interface LayoutProps {
  title: string;
  auth: SessionAuth | null;
  csrf: string;
  notice?: Notice | null;
  scripts?: string[];
  styles?: string[];
  children?: Child;
}

export const NoticeBox: FC<{ notice?: Notice | null }> = ({ notice }) =>
  notice ? (
    <div class={`notice ${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>
      {notice.text}
    </div>
  ) : null;

export const CsrfField: FC<{ csrf: string }> = ({ csrf }) => <input type="hidden" name="_csrf" value={csrf} />;

// <head>, <meta>, <title>, <link> and <script> are written as strings, not JSX: hono/jsx renders those elements
// through AsyncLocalStorage (see render.ts), and every page has them. Same markup as hono/jsx would give.
const head = (p: LayoutProps) =>
  raw(
    '<head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>' +
      `<meta name="csrf-token" content="${escapeHtml(p.csrf)}"/><title>${escapeHtml(`${p.title} · kamikazi`)}</title>` +
      ['/assets/app.css', ...(p.styles ?? [])].map((s) => `<link rel="stylesheet" href="${escapeHtml(s)}"/>`).join('') +
      '</head>',
  );
const scripts = (p: LayoutProps) => raw(['/assets/confirm.js', ...(p.scripts ?? [])].map((s) => `<script src="${escapeHtml(s)}" defer=""></script>`).join(''));

export const Layout: FC<LayoutProps> = (p) => {
  const op = p.auth?.actor.role === 'operator';
  return (
    <html lang="en">
      {head(p)}
      <body>
        <header class="top">
          <a class="brand" href="/">
            kamikazi
          </a>
          {p.auth ? (
            <nav>
              <a href="/">Dashboard</a>
              <a href="/invoices">Invoices</a>
              {op ? null : <a href="/payment-method">Payment method</a>}
              <a href="/audit">Audit log</a>
              <a href="/account">Account</a>
              {op ? (
                <>
                  <a href="/ops/hosts">Hosts</a>
                  <a href="/ops/tenants">Tenants</a>
                  <a href="/ops/vms">VM assignment</a>
                  <a href="/ops/plans">Plans</a>
                  <a href="/ops/invoice-runs">Invoice runs</a>
                  <a href="/ops/tithe">Tithe</a>
                </>
              ) : null}
              <a href="/api/docs">API</a>
            </nav>
          ) : (
            <nav />
          )}
          {p.auth ? (
            <form method="post" action="/logout" class="inline">
              <CsrfField csrf={p.csrf} />
              <span class="muted">{p.auth.user.email} </span>
              <button type="submit">Sign out</button>
            </form>
          ) : null}
        </header>
        <main>
          {p.auth?.suspension ? (
            <div class="notice error" id="suspension-banner" role="alert">
              {suspensionText(p.auth.suspension)}. You can still sign in, see and pay your invoices; starting and stopping VMs and the console are
              unavailable until the operator lifts the suspension.
            </div>
          ) : null}
          <NoticeBox notice={p.notice} />
          {p.children}
        </main>
        {scripts(p)}
      </body>
    </html>
  );
};
