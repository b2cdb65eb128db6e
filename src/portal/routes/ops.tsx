// Operator pages: hosts, tenants and users (invite, suspend), VM assignment, plans, invoice runs, tithe.
import { Hono } from 'hono';
import type { AppContext } from '../../context.ts';
import { addHost, InvalidHostInput, listHosts, removeHost } from '../../hosts/registry.ts';
import { assignVm, formatMoney, listPlans, listTenants, runInvoicePeriod, createPlan, type RunResult } from '../../billing/index.ts';
import { titheStatement } from '../../billing/tithe/statement.ts';
import { periodLabelAt } from '../../billing/index.ts';
import { assertOperator } from '../../auth/actor.ts';
import { createInvite } from '../../auth/invites.ts';
import { listAllUsers, setUserSuspended } from '../../auth/users.ts';
import { AuthError } from '../../auth/errors.ts';
import type { UserRole } from '../../db/schema/auth.ts';
import { clientIp, type PortalContext, type PortalEnv, type SessionAuth } from '../env.ts';
import type { PortalOptions } from '../options.ts';
import { forgetVmLists, listVmsForActor } from '../queries/vms.ts';
import { forgetLiveStates } from '../queries/live-state.ts';
import { CsrfField, Layout, type Notice } from '../pages/layout.tsx';
import { fmtDate } from '../pages/vm-parts.tsx';
import { page } from '../render.ts';
import { formString } from './form.ts';

export function opsPages(ctx: AppContext, opts: PortalOptions): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>();
  app.use('/ops/*', async (c, next) => {
    assertOperator((c.get('auth') as SessionAuth).actor);
    await next();
  });
  const frame = (c: PortalContext, title: string, body: unknown, notice: Notice | null = null, status: 200 | 400 = 200) =>
    page(
      c,
      <Layout title={title} auth={c.get('auth')} csrf={c.get('csrf')} notice={notice}>
        <h1>{title}</h1>
        {body as never}
      </Layout>,
      status,
    );

  // ---------- hosts ----------
  const hostsPage = async (c: PortalContext, notice: Notice | null = null, status: 200 | 400 = 200) => {
    const hosts = await listHosts(ctx.db);
    const csrf = c.get('csrf');
    return frame(
      c,
      'Hosts',
      <>
        <table id="hosts">
          <thead>
            <tr>
              <th>Name</th>
              <th>Adapter</th>
              <th>Address</th>
              <th>Status</th>
              <th>Last successful poll</th>
              <th>Last error</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {hosts.map((h) => (
              <tr data-host={h.id}>
                <td>{h.name}</td>
                <td>{h.adapter}</td>
                <td>{h.address ? `${h.username ?? ''}@${h.address}:${h.port}` : '—'}</td>
                <td>{!h.enabled ? 'disabled' : h.consecutiveFailures > 0 ? `failing (${h.consecutiveFailures}×)` : h.lastSuccessAt ? 'ok' : 'not polled yet'}</td>
                <td>{fmtDate(h.lastSuccessAt)}</td>
                <td>{h.lastError ? `${fmtDate(h.lastErrorAt)}: ${h.lastError}` : '—'}</td>
                <td>
                  <form method="post" action={`/ops/hosts/${h.id}/remove`} class="inline" data-confirm={`Remove host ${h.name}?`}>
                    <CsrfField csrf={csrf} />
                    <button type="submit" class="danger">
                      Remove
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2>Add a host</h2>
        <form method="post" action="/ops/hosts" class="card">
          <CsrfField csrf={csrf} />
          <label for="h-name">Name</label>
          <input id="h-name" type="text" name="name" required />
          <label for="h-adapter">Adapter</label>
          <select id="h-adapter" name="adapter">
            <option value="ssh">ssh</option>
            <option value="local">local</option>
            <option value="sim">sim</option>
          </select>
          <label for="h-address">Address</label>
          <input id="h-address" type="text" name="address" />
          <label for="h-port">Port</label>
          <input id="h-port" type="number" name="port" value="22" />
          <label for="h-user">User</label>
          <input id="h-user" type="text" name="username" />
          <label for="h-key">Private key path</label>
          <input id="h-key" type="text" name="keyPath" />
          <label for="h-hostkey">Host key fingerprint (SHA256:…)</label>
          <input id="h-hostkey" type="text" name="hostKey" />
          <div class="actions">
            <button class="primary" type="submit">
              Add host
            </button>
          </div>
        </form>
      </>,
      notice,
      status,
    );
  };
  app.get('/ops/hosts', (c) => hostsPage(c));
  app.post('/ops/hosts', async (c) => {
    const b = await c.req.parseBody();
    const opt = (k: string) => formString(b, k).trim() || undefined;
    try {
      const h = await addHost(ctx.db, {
        name: formString(b, 'name').trim(),
        adapter: formString(b, 'adapter') as 'ssh' | 'local' | 'sim',
        address: opt('address'),
        port: Number(formString(b, 'port') || 22),
        username: opt('username'),
        keyPath: opt('keyPath'),
        hostKey: opt('hostKey'),
      });
      forgetLiveStates(ctx);
      return hostsPage(c, { kind: 'ok', text: `Host ${h.name} added.` });
    } catch (err) {
      if (!(err instanceof InvalidHostInput)) throw err;
      return hostsPage(c, { kind: 'error', text: err.message }, 400);
    }
  });
  app.post('/ops/hosts/:id/remove', async (c) => {
    const h = await removeHost(ctx.db, c.req.param('id'));
    await ctx.hosts.forget(h.id);
    forgetLiveStates(ctx);
    forgetVmLists(ctx);
    return hostsPage(c, { kind: 'ok', text: `Host ${h.name} removed.` });
  });

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
    return frame(
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

  // ---------- VM assignment ----------
  const vmsPage = async (c: PortalContext, notice: Notice | null = null, status: 200 | 400 = 200) => {
    const auth = c.get('auth') as SessionAuth;
    const [vms, tenants, plans] = await Promise.all([listVmsForActor(ctx, auth.actor), listTenants(ctx), listPlans(ctx)]);
    const csrf = c.get('csrf');
    return frame(
      c,
      'VM assignment',
      <table id="assign">
        <thead>
          <tr>
            <th>VM</th>
            <th>Host</th>
            <th>Tenant / plan now</th>
            <th>Assign from now</th>
          </tr>
        </thead>
        <tbody>
          {vms.map((v) => (
            <tr data-vm={v.uuid}>
              <td>
                <a href={`/vms/${v.uuid}`}>{v.name}</a>
                <div class="mono muted">{v.uuid}</div>
              </td>
              <td>{v.hostName ?? '—'}</td>
              <td>{v.tenantName ? `${v.tenantName} / ${v.planName}` : 'unassigned'}</td>
              <td>
                <form method="post" action={`/ops/vms/${v.uuid}/assign`} class="inline">
                  <CsrfField csrf={csrf} />
                  <select name="tenantId" aria-label="tenant">
                    {tenants.map((t) => (
                      <option value={t.id} selected={t.id === v.tenantId}>
                        {t.company}
                      </option>
                    ))}
                  </select>{' '}
                  <select name="planId" aria-label="plan">
                    {plans.map((p) => (
                      <option value={p.id} selected={p.id === v.planId}>
                        {p.name} ({p.currency})
                      </option>
                    ))}
                  </select>{' '}
                  <button type="submit">Assign</button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>,
      notice,
      status,
    );
  };
  app.get('/ops/vms', (c) => vmsPage(c));
  app.post('/ops/vms/:id/assign', async (c) => {
    const b = await c.req.parseBody();
    const a = await assignVm(ctx, { vmUuid: c.req.param('id'), tenantId: formString(b, 'tenantId'), planId: formString(b, 'planId') });
    forgetVmLists(ctx);
    return vmsPage(c, { kind: 'ok', text: `VM ${a.vmUuid} assigned from ${fmtDate(a.validFrom)}.` });
  });

  // ---------- plans ----------
  const plansPage = async (c: PortalContext, notice: Notice | null = null, status: 200 | 400 = 200) => {
    const plans = await listPlans(ctx);
    return frame(
      c,
      'Plans',
      <>
        <table id="plans">
          <thead>
            <tr>
              <th>Name</th>
              <th>Base price / month</th>
              <th>Metered components</th>
              <th>Bandwidth</th>
              <th>Cap</th>
            </tr>
          </thead>
          <tbody>
            {plans.map((p) => (
              <tr>
                <td>{p.name}</td>
                <td>{formatMoney({ amount: p.basePrice, currency: p.currency })}</td>
                <td>{p.components.map((x) => `${x.component} (incl. ${x.included}; ${x.tiers.map((t) => `${t.unitPrice}${t.upTo ? ` ≤ ${t.upTo}` : ''}`).join(', ')})`).join('; ') || '—'}</td>
                <td>{p.bandwidth.model}</td>
                <td>{p.monthlyCap === null ? '—' : formatMoney({ amount: p.monthlyCap, currency: p.currency })}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2>New plan (base price only; add metered components with `kamikazi plans`)</h2>
        <form method="post" action="/ops/plans" class="card">
          <CsrfField csrf={c.get('csrf')} />
          <label for="p-name">Name</label>
          <input id="p-name" type="text" name="name" required />
          <label for="p-cur">Currency</label>
          <input id="p-cur" type="text" name="currency" value="EUR" required />
          <label for="p-base">Base price per month (minor units, e.g. cents)</label>
          <input id="p-base" type="number" name="basePrice" min="0" required />
          <div class="actions">
            <button class="primary" type="submit">
              Create plan
            </button>
          </div>
        </form>
      </>,
      notice,
      status,
    );
  };
  app.get('/ops/plans', (c) => plansPage(c));
  app.post('/ops/plans', async (c) => {
    const b = await c.req.parseBody();
    const base = formString(b, 'basePrice');
    if (!/^\d{1,15}$/.test(base)) return plansPage(c, { kind: 'error', text: 'base price: whole minor units (e.g. 500 for 5.00)' }, 400);
    const p = await createPlan(ctx, { name: formString(b, 'name'), currency: formString(b, 'currency').toUpperCase(), basePrice: BigInt(base) });
    return plansPage(c, { kind: 'ok', text: `Plan ${p.name} created.` });
  });

  // ---------- invoice runs ----------
  const runsPage = async (c: PortalContext, result: RunResult | null = null, notice: Notice | null = null) => {
    const csrf = c.get('csrf');
    const period = result?.period ?? periodLabelAt(1, new Date(ctx.clock.now().getTime() - 28 * 86_400_000));
    return frame(
      c,
      'Invoice runs',
      <>
        <form method="post" action="/ops/invoice-runs" class="card">
          <CsrfField csrf={csrf} />
          <label for="r-period">Period (YYYY-MM)</label>
          <input id="r-period" type="text" name="period" value={period} pattern="\d{4}-\d{2}" required />
          <div class="actions">
            <button type="submit" name="mode" value="dry">
              Dry run
            </button>
            <button type="submit" name="mode" value="draft">
              Write drafts
            </button>
            <button type="submit" name="mode" value="finalize" class="danger" data-confirm="Finalize invoices for this period? Numbers are assigned and invoices become immutable.">
              Finalize
            </button>
          </div>
        </form>
        {result ? (
          <div class="card" id="run-result">
            <h2>
              {result.dryRun ? 'Dry run' : 'Run'} for {result.period}
            </h2>
            <p>
              Tenants considered {result.tenantsConsidered}, rated {result.tenantsRated}; created {result.created}, replaced {result.replaced}, kept {result.kept}, skipped {result.skipped}.
              {result.numbers.length ? ` Finalized: ${result.numbers.join(', ')}.` : ''}
            </p>
            <table>
              <thead>
                <tr>
                  <th>Tenant</th>
                  <th>Lines</th>
                  <th>Subtotal</th>
                  <th>Tax</th>
                  <th>Total</th>
                </tr>
              </thead>
              <tbody>
                {result.invoices.map((i) => (
                  <tr>
                    <td>{i.company}</td>
                    <td>{i.lines.length}</td>
                    <td>{formatMoney({ amount: i.subtotal, currency: i.currency })}</td>
                    <td>{formatMoney({ amount: i.tax, currency: i.currency })}</td>
                    <td>{formatMoney({ amount: i.total, currency: i.currency })}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </>,
      notice,
    );
  };
  app.get('/ops/invoice-runs', (c) => runsPage(c));
  app.post('/ops/invoice-runs', async (c) => {
    const b = await c.req.parseBody();
    const mode = formString(b, 'mode');
    const result = await runInvoicePeriod(ctx, { period: formString(b, 'period'), dryRun: mode === 'dry' || !mode, finalize: mode === 'finalize' });
    return runsPage(c, result, { kind: 'ok', text: mode === 'finalize' ? 'Invoices finalized.' : mode === 'draft' ? 'Drafts written.' : 'Dry run: nothing was written.' });
  });

  // ---------- tithe ----------
  app.get('/ops/tithe', async (c) => {
    const period = /^\d{4}-\d{2}$/.test(c.req.query('period') ?? '') ? (c.req.query('period') as string) : periodLabelAt(1, ctx.clock.now());
    const lines = await titheStatement(ctx.db, period);
    const m = (amount: bigint, currency: string) => formatMoney({ amount, currency });
    return frame(
      c,
      `Tithe statement ${period}`,
      <>
        <form method="get" action="/ops/tithe" class="actions">
          <input type="text" name="period" value={period} aria-label="period" />
          <button type="submit">Show</button>
        </form>
        <table id="tithe">
          <thead>
            <tr>
              <th>Currency</th>
              <th>Opening owed</th>
              <th>Earned</th>
              <th>Reversed</th>
              <th>Sent</th>
              <th>Closing owed</th>
              <th>Differences</th>
            </tr>
          </thead>
          <tbody>
            {lines.map((l) => (
              <tr>
                <td>{l.currency}</td>
                <td>{m(l.openingOwed, l.currency)}</td>
                <td>{m(l.earned, l.currency)}</td>
                <td>{m(l.reversed, l.currency)}</td>
                <td>{m(l.sent, l.currency)}</td>
                <td>{m(l.closingOwed, l.currency)}</td>
                <td>{Object.entries(l.differences).filter(([, v]) => v !== 0n).map(([k, v]) => `${k}: ${m(v, l.currency)}`).join('; ') || 'none'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {lines.length === 0 ? <p class="muted">No tithe movements in this period.</p> : null}
      </>,
    );
  });

  return app;
}
