// Operator pages: tenants and their users (invite by link, suspend, unsuspend).
import { Hono } from 'hono';
import type { AppContext } from '../../context.ts';
import { listTenants } from '../../billing/index.ts';
import { createInvite } from '../../auth/invites.ts';
import { listAllUsers, setUserSuspended } from '../../auth/users.ts';
import { AuthError } from '../../auth/errors.ts';
import type { UserRole } from '../../db/schema/auth.ts';
import { clientIp, type PortalContext, type PortalEnv, type SessionAuth } from '../env.ts';
import type { PortalOptions } from '../options.ts';
import { CsrfField, type Notice } from '../pages/layout.tsx';
import { fmtDate } from '../pages/vm-parts.tsx';
import { formString } from './form.ts';
import { opsFrame } from '../pages/ops-frame.tsx';
import { TenantSuspensionControls, tenantSuspensionPages } from './ops-suspension.tsx';

export function opsPeoplePages(ctx: AppContext, opts: PortalOptions): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>();
  // ---------- tenants and users ----------
  const tenantsPage = async (c: PortalContext, notice: Notice | null = null, link?: string) => {
    const [tenants, users] = await Promise.all([listTenants(ctx), listAllUsers(ctx.db)]);
    const csrf = c.get('csrf');
    const userRows = (tenantId: string | null) =>
      users
        .filter((u) => u.tenantId === tenantId)
        .map((u) => (
          <tr data-user={u.id}>
            <td>{u.email}</td>
            <td>{u.role}</td>
            <td>{u.suspendedAt ? `suspended ${fmtDate(u.suspendedAt)}` : 'active'}</td>
            <td>
              <form method="post" action={`/ops/users/${u.id}/${u.suspendedAt ? 'unsuspend' : 'suspend'}`} class="inline">
                <CsrfField csrf={csrf} />
                <button type="submit">{u.suspendedAt ? 'Unsuspend' : 'Suspend'}</button>
              </form>
            </td>
          </tr>
        ));
    return opsFrame(
      c,
      'Tenants and users',
      <>
        {link ? (
          <div class="notice ok">
            Invitation link (send it to the invitee; it works once, for 7 days): <span class="secret" id="invite-link">{link}</span>
          </div>
        ) : null}
        {tenants.map((t) => (
          <div class="card" data-tenant={t.id}>
            <h2>
              {t.company} <span class="muted">({t.currency}, {t.status})</span>
            </h2>
            <TenantSuspensionControls t={t} />
            <p>
              <a href={`/payment-method?tenant=${t.id}`}>Payment method and autopay</a>
            </p>
            <table>
              <tbody>{userRows(t.id)}</tbody>
            </table>
          </div>
        ))}
        <div class="card">
          <h2>Operators</h2>
          <table>
            <tbody>{userRows(null)}</tbody>
          </table>
        </div>
        <h2>Invite a user</h2>
        <form method="post" action="/ops/invites" class="card">
          <CsrfField csrf={csrf} />
          <label for="i-email">Email</label>
          <input id="i-email" type="email" name="email" required />
          <label for="i-role">Role</label>
          <select id="i-role" name="role">
            <option value="owner">Tenant owner</option>
            <option value="member">Tenant member</option>
            <option value="operator">Operator</option>
          </select>
          <label for="i-tenant">Tenant</label>
          <select id="i-tenant" name="tenantId">
            <option value="">— (operators)</option>
            {tenants.map((t) => (
              <option value={t.id}>{t.company}</option>
            ))}
          </select>
          <div class="actions">
            <button class="primary" type="submit">
              Create invitation link
            </button>
          </div>
        </form>
      </>,
      notice,
    );
  };
  app.get('/ops/tenants', (c) => tenantsPage(c));
  app.post('/ops/invites', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    const b = await c.req.parseBody();
    const role = formString(b, 'role') as UserRole;
    if (!['owner', 'member', 'operator'].includes(role)) throw new AuthError('Validation', 'role must be owner, member or operator');
    const { token } = await createInvite(ctx, auth.actor, { email: formString(b, 'email'), role, tenantId: role === 'operator' ? null : formString(b, 'tenantId') || null }, clientIp(c));
    const base = opts.publicUrl ?? new URL(c.req.url).origin;
    return tenantsPage(c, null, `${base.replace(/\/$/, '')}/invite/${token}`);
  });
  for (const [path, suspended] of [['suspend', true], ['unsuspend', false]] as const) {
    app.post(`/ops/users/:id/${path}`, async (c) => {
      const auth = c.get('auth') as SessionAuth;
      const u = await setUserSuspended(ctx, auth.actor, c.req.param('id'), suspended);
      return tenantsPage(c, { kind: 'ok', text: `${u.email} ${suspended ? 'suspended; their sessions were ended' : 'unsuspended'}.` });
    });
  }
  app.route('/', tenantSuspensionPages(ctx, (c, notice) => tenantsPage(c, notice)));

  return app;
}
