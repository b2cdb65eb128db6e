// The signed-in user's own account: active sessions (revoke), two-factor enrolment, API tokens, audit log.
import { Hono } from 'hono';
import type { AppContext } from '../../context.ts';
import { listSessions, revokeSession } from '../../auth/sessions.ts';
import { beginTotpEnrolment, confirmTotpEnrolment } from '../../auth/totp.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../../auth/api-tokens.ts';
import { listAudit } from '../../auth/audit.ts';
import { audit } from '../../auth/audit.ts';
import { AuthError } from '../../auth/errors.ts';
import { clientIp, type PortalContext, type PortalEnv, type SessionAuth } from '../env.ts';
import { listVmsForActor, getVmForActor } from '../queries/vms.ts';
import { CsrfField, Layout, type Notice } from '../pages/layout.tsx';
import { fmtDate } from '../pages/vm-parts.tsx';
import { page } from '../render.ts';
import { formString } from './form.ts';

export function accountPages(ctx: AppContext): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>();

  async function render(c: PortalContext, notice: Notice | null, extra: { newToken?: string; totp?: { secret: string; uri: string } } = {}, status: 200 | 400 = 200) {
    const auth = c.get('auth') as SessionAuth;
    const csrf = c.get('csrf');
    const sessions = await listSessions(ctx, auth.user.id, auth.session.id);
    const canTokens = auth.actor.role !== 'member';
    const tokens = canTokens ? await listApiTokens(ctx, auth.actor) : [];
    const vms = canTokens ? await listVmsForActor(ctx, auth.actor) : [];
    return page(
      c,
      <Layout title="Account" auth={auth} csrf={csrf} notice={notice}>
        <h1>Account</h1>
        <div class="card">
          <dl class="kv">
            <dt>Email</dt>
            <dd>{auth.user.email}</dd>
            <dt>Role</dt>
            <dd>{auth.user.role}</dd>
          </dl>
        </div>
        <h2>Active sessions</h2>
        <table id="sessions">
          <thead>
            <tr>
              <th>Signed in</th>
              <th>Last seen</th>
              <th>Address</th>
              <th>Browser</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr data-session={s.handle}>
                <td>{fmtDate(s.createdAt)}</td>
                <td>{fmtDate(s.lastSeenAt)}</td>
                <td>{s.ip ?? '—'}</td>
                <td class="muted">{(s.userAgent ?? '').slice(0, 60)}</td>
                <td>
                  {s.current ? (
                    <span class="muted">this session</span>
                  ) : (
                    <form method="post" action={`/account/sessions/${s.handle}/revoke`} class="inline">
                      <CsrfField csrf={csrf} />
                      <button type="submit">Revoke</button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2>Two-factor sign-in</h2>
        <div class="card" id="totp">
          {auth.user.totpEnabled ? (
            <p>Enabled: sign-in asks for a code from your authenticator app.</p>
          ) : extra.totp ? (
            <>
              <p>Add this key to your authenticator app, then enter the code it shows.</p>
              <p class="secret" id="totp-secret">
                {extra.totp.secret}
              </p>
              <p class="muted mono">{extra.totp.uri}</p>
              <form method="post" action="/account/totp/confirm">
                <CsrfField csrf={csrf} />
                <label for="code">Code</label>
                <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required />
                <div class="actions">
                  <button class="primary" type="submit">
                    Enable
                  </button>
                </div>
              </form>
            </>
          ) : (
            <form method="post" action="/account/totp/begin">
              <CsrfField csrf={csrf} />
              <p>Not enabled.</p>
              <button type="submit">Set up two-factor sign-in</button>
            </form>
          )}
        </div>
        {canTokens ? (
          <>
            <h2>API tokens</h2>
            {extra.newToken ? (
              <div class="notice ok">
                New token (shown only now, copy it): <span class="secret" id="new-token">{extra.newToken}</span>
              </div>
            ) : null}
            <table id="tokens">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Prefix</th>
                  <th>Scope</th>
                  <th>Created</th>
                  <th>Last used</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {tokens.map((t) => (
                  <tr data-token={t.id}>
                    <td>{t.name}</td>
                    <td class="mono">{t.prefix}…</td>
                    <td>
                      {t.readOnly ? 'read-only' : 'read/write'}
                      {t.vmUuid ? `, VM ${t.vmUuid}` : ', all VMs'}
                    </td>
                    <td>{fmtDate(t.createdAt)}</td>
                    <td>{fmtDate(t.lastUsedAt)}</td>
                    <td>
                      {t.revokedAt ? (
                        <span class="muted">revoked {fmtDate(t.revokedAt)}</span>
                      ) : (
                        <form method="post" action={`/account/tokens/${t.id}/revoke`} class="inline">
                          <CsrfField csrf={csrf} />
                          <button type="submit">Revoke</button>
                        </form>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <form method="post" action="/account/tokens" class="card">
              <CsrfField csrf={csrf} />
              <label for="token-name">Name</label>
              <input type="text" id="token-name" name="name" required maxlength={100} />
              <label for="token-vm">Limit to one VM</label>
              <select id="token-vm" name="vm">
                <option value="">All my VMs</option>
                {vms.map((v) => (
                  <option value={v.uuid}>{v.name}</option>
                ))}
              </select>
              <label>
                <input type="checkbox" name="readOnly" value="yes" /> Read-only
              </label>
              <div class="actions">
                <button class="primary" type="submit">
                  Create token
                </button>
              </div>
            </form>
          </>
        ) : null}
      </Layout>,
      status,
    );
  }

  app.get('/account', (c) => render(c, null));

  app.post('/account/sessions/:handle/revoke', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    await revokeSession(ctx, auth.user.id, c.req.param('handle'));
    await audit(ctx, { action: 'session.revoke', result: 'ok', actorUserId: auth.user.id, actorLabel: auth.user.email, tenantId: auth.user.tenantId, target: c.req.param('handle'), ip: clientIp(c) });
    return render(c, { kind: 'ok', text: 'Session revoked.' });
  });

  app.post('/account/totp/begin', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    const t = await beginTotpEnrolment(ctx, auth.user.id);
    return render(c, null, { totp: t });
  });

  app.post('/account/totp/confirm', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    const body = await c.req.parseBody();
    try {
      await confirmTotpEnrolment(ctx, auth.user.id, formString(body, 'code'), clientIp(c));
      // This response shows the change; the shared auth object stays as validated (the next request reloads it).
      c.set('auth', { ...auth, user: { ...auth.user, totpEnabled: true } });
      return render(c, { kind: 'ok', text: 'Two-factor sign-in is enabled.' });
    } catch (err) {
      if (!(err instanceof AuthError) || err.code !== 'Validation') throw err;
      return render(c, { kind: 'error', text: err.message }, {}, 400);
    }
  });

  app.post('/account/tokens', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    const body = await c.req.parseBody();
    const vm = formString(body, 'vm');
    // A token limited to a VM must name one the caller may see.
    const vmUuid = vm ? (await getVmForActor(ctx, auth.actor, vm)).uuid : null;
    try {
      const { token } = await createApiToken(ctx, auth.actor, { name: formString(body, 'name', 200), vmUuid, readOnly: body.readOnly === 'yes' }, clientIp(c));
      return render(c, { kind: 'ok', text: 'Token created.' }, { newToken: token });
    } catch (err) {
      if (!(err instanceof AuthError) || err.code !== 'Validation') throw err;
      return render(c, { kind: 'error', text: err.message }, {}, 400);
    }
  });

  app.post('/account/tokens/:id/revoke', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    await revokeApiToken(ctx, auth.actor, c.req.param('id'), clientIp(c));
    return render(c, { kind: 'ok', text: 'Token revoked.' });
  });

  app.get('/audit', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    const entries = await listAudit(ctx.db, { tenantId: auth.actor.tenantId ?? undefined, limit: 300 });
    return page(
      c,
      <Layout title="Audit log" auth={auth} csrf={c.get('csrf')}>
        <h1>Audit log</h1>
        <table id="audit">
          <thead>
            <tr>
              <th>Time</th>
              <th>Actor</th>
              <th>Action</th>
              <th>Target</th>
              <th>Result</th>
              <th>Address</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr>
                <td>{fmtDate(e.at)}</td>
                <td>{e.actorLabel ?? '—'}</td>
                <td>{e.action}</td>
                <td class="mono">{e.target ?? ''}</td>
                <td>{e.result}</td>
                <td>{e.ip ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Layout>,
    );
  });

  return app;
}
