// Sign-in, TOTP step, sign-out, forgotten password, reset link, invitation link.
import { Hono } from 'hono';
import type { AppContext } from '../../context.ts';
import { login, verifyLoginTotp } from '../../auth/login.ts';
import { invalidateSession } from '../../auth/sessions.ts';
import { requestPasswordReset, resetPassword } from '../../auth/password-reset.ts';
import { acceptInvite, peekInvite } from '../../auth/invites.ts';
import { audit } from '../../auth/audit.ts';
import { AuthError } from '../../auth/errors.ts';
import { clientIp, type PortalEnv } from '../env.ts';
import type { PortalOptions } from '../options.ts';
import { clearSessionCookie, setSessionCookie } from '../middleware/session.ts';
import { CsrfField, Layout, type Notice } from '../pages/layout.tsx';
import { page } from '../render.ts';
import { formString } from './form.ts';
import { safeNextPath, signInUrl } from '../next-path.ts';

const Centered = (p: { title: string; csrf: string; notice?: Notice | null; children?: unknown }) => (
  <Layout title={p.title} auth={null} csrf={p.csrf} notice={p.notice}>
    <div class="narrow card">{p.children as never}</div>
  </Layout>
);

export function authPages(ctx: AppContext, opts: PortalOptions): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>();
  const baseUrl = (c: { req: { url: string } }) => opts.publicUrl ?? new URL(c.req.url).origin;

  const loginForm = (csrf: string, notice: Notice | null, email = '', next: string | null = null) => (
    <Centered title="Sign in" csrf={csrf} notice={notice}>
      <h1>Sign in</h1>
      <form method="post" action="/login">
        <CsrfField csrf={csrf} />
        {next ? <input type="hidden" name="next" value={next} /> : null}
        <label for="email">Email</label>
        <input type="email" id="email" name="email" value={email} required autocomplete="username" />
        <label for="password">Password</label>
        <input type="password" id="password" name="password" required autocomplete="current-password" />
        <div class="actions">
          <button class="primary" type="submit">
            Sign in
          </button>
          <a href="/forgot">Forgot password?</a>
        </div>
      </form>
    </Centered>
  );

  // `next`: where an unauthenticated visit was sent away from (same-site paths only, see next-path.ts).
  app.get('/login', (c) => {
    const next = safeNextPath(c.req.query('next'));
    return c.get('auth') ? c.redirect(next ?? '/') : page(c, loginForm(c.get('csrf'), null, '', next));
  });

  app.post('/login', async (c) => {
    const body = await c.req.parseBody();
    const email = formString(body, 'email');
    const next = safeNextPath(formString(body, 'next', 2000));
    try {
      const r = await login(ctx, { email, password: formString(body, 'password'), ip: clientIp(c), userAgent: c.req.header('user-agent') });
      setSessionCookie(c, opts, r.token, r.session.expiresAt);
      return c.redirect(r.needsTotp ? signInUrl('/login/totp', next) : (next ?? '/'), 303);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      const status = err.code === 'Throttled' ? 429 : 401;
      if (err.retryAfterSeconds) c.header('retry-after', String(err.retryAfterSeconds));
      return page(c, loginForm(c.get('csrf'), { kind: 'error', text: err.message }, email, next), status);
    }
  });

  const totpForm = (csrf: string, notice: Notice | null, next: string | null) => (
    <Centered title="Two-factor code" csrf={csrf} notice={notice}>
      <h1>Two-factor code</h1>
      <form method="post" action="/login/totp">
        <CsrfField csrf={csrf} />
        {next ? <input type="hidden" name="next" value={next} /> : null}
        <label for="code">Code from your authenticator app</label>
        <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required />
        <div class="actions">
          <button class="primary" type="submit">
            Verify
          </button>
        </div>
      </form>
    </Centered>
  );

  app.get('/login/totp', (c) => {
    const next = safeNextPath(c.req.query('next'));
    return c.get('pending') ? page(c, totpForm(c.get('csrf'), null, next)) : c.redirect(signInUrl('/login', next));
  });
  app.post('/login/totp', async (c) => {
    const pending = c.get('pending');
    const body = await c.req.parseBody();
    const next = safeNextPath(formString(body, 'next', 2000));
    if (!pending) return c.redirect(signInUrl('/login', next), 303);
    try {
      await verifyLoginTotp(ctx, pending.session, pending.user, formString(body, 'code'), clientIp(c));
      return c.redirect(next ?? '/', 303);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      return page(c, totpForm(c.get('csrf'), { kind: 'error', text: err.message }, next), err.code === 'Throttled' ? 429 : 401);
    }
  });

  app.post('/logout', async (c) => {
    const auth = c.get('auth') ?? c.get('pending');
    if (auth) {
      await invalidateSession(ctx, auth.session.id);
      await audit(ctx, { action: 'logout', result: 'ok', actorUserId: auth.user.id, actorLabel: auth.user.email, tenantId: auth.user.tenantId, ip: clientIp(c) });
    }
    clearSessionCookie(c, opts);
    return c.redirect('/login', 303);
  });

  const forgotForm = (csrf: string, notice: Notice | null) => (
    <Centered title="Forgot password" csrf={csrf} notice={notice}>
      <h1>Reset your password</h1>
      <form method="post" action="/forgot">
        <CsrfField csrf={csrf} />
        <label for="email">Email</label>
        <input type="email" id="email" name="email" required />
        <div class="actions">
          <button class="primary" type="submit">
            Send reset link
          </button>
        </div>
      </form>
    </Centered>
  );
  app.get('/forgot', (c) => page(c, forgotForm(c.get('csrf'), null)));
  app.post('/forgot', async (c) => {
    const body = await c.req.parseBody();
    // Throttled or not, known account or not: the same answer (the outcome is only for the audit log).
    await requestPasswordReset(ctx, opts.mailer, formString(body, 'email'), baseUrl(c), clientIp(c));
    return page(c, forgotForm(c.get('csrf'), { kind: 'info', text: 'If an account exists for that address, a reset link is on its way. It works once, for one hour.' }));
  });

  const setPasswordForm = (csrf: string, action: string, title: string, notice: Notice | null, extra?: unknown) => (
    <Centered title={title} csrf={csrf} notice={notice}>
      <h1>{title}</h1>
      {extra as never}
      <form method="post" action={action}>
        <CsrfField csrf={csrf} />
        <label for="password">New password (at least 10 characters)</label>
        <input type="password" id="password" name="password" required minlength={10} autocomplete="new-password" />
        <div class="actions">
          <button class="primary" type="submit">
            Save password
          </button>
        </div>
      </form>
    </Centered>
  );

  app.get('/reset/:token', (c) => page(c, setPasswordForm(c.get('csrf'), `/reset/${encodeURIComponent(c.req.param('token'))}`, 'Choose a new password', null)));
  app.post('/reset/:token', async (c) => {
    const body = await c.req.parseBody();
    try {
      await resetPassword(ctx, c.req.param('token'), formString(body, 'password'), clientIp(c));
      return page(c, <Centered title="Password changed" csrf={c.get('csrf')} notice={{ kind: 'ok', text: 'Your password was changed and every session was signed out.' }}><a href="/login">Sign in</a></Centered>);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      return page(c, setPasswordForm(c.get('csrf'), `/reset/${encodeURIComponent(c.req.param('token'))}`, 'Choose a new password', { kind: 'error', text: err.message }), 400);
    }
  });

  app.get('/invite/:token', async (c) => {
    const inv = await peekInvite(ctx, c.req.param('token'));
    if (!inv) return page(c, <Centered title="Invitation" csrf={c.get('csrf')} notice={{ kind: 'error', text: 'This invitation link is invalid, was already used, or has expired. Ask for a new one.' }} />, 404);
    return page(c, setPasswordForm(c.get('csrf'), `/invite/${encodeURIComponent(c.req.param('token'))}`, 'Accept invitation', null, <p>Set a password for <strong>{inv.email}</strong>.</p>));
  });
  app.post('/invite/:token', async (c) => {
    const body = await c.req.parseBody();
    try {
      await acceptInvite(ctx, c.req.param('token'), { password: formString(body, 'password'), name: formString(body, 'name') }, clientIp(c));
      return page(c, <Centered title="Welcome" csrf={c.get('csrf')} notice={{ kind: 'ok', text: 'Your account is ready.' }}><a href="/login">Sign in</a></Centered>);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      return page(c, setPasswordForm(c.get('csrf'), `/invite/${encodeURIComponent(c.req.param('token'))}`, 'Accept invitation', { kind: 'error', text: err.message }), 400);
    }
  });

  return app;
}
