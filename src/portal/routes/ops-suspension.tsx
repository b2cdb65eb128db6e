// Operator pages for suspending and unsuspending a tenant: a button on the tenants page leads to a
// confirmation page (reason, optional VM shutdown), whose form posts with the CSRF token.
import { Hono } from 'hono';
import type { AppContext } from '../../context.ts';
import { BillingError, getTenant, type Tenant } from '../../billing/index.ts';
import { tenantVms } from '../../billing/dunning/vm-power.ts';
import type { VmPowerResult } from '../../billing/dunning/vm-power.ts';
import { clientIp, type PortalContext, type PortalEnv, type SessionAuth } from '../env.ts';
import { CsrfField, type Notice } from '../pages/layout.tsx';
import { opsFrame } from '../pages/ops-frame.tsx';
import { fmtDate } from '../pages/vm-parts.tsx';
import { formString } from './form.ts';
import { suspendTenantAtEdge, unsuspendTenantAtEdge } from '../actions/suspension.ts';

/** On each tenant's card of the tenants page: state and the one button that fits it. */
export const TenantSuspensionControls = ({ t }: { t: Tenant }) =>
  t.status === 'suspended' ? (
    <div class="suspension" data-suspended="yes">
      <p class="notice error">
        Suspended since {t.suspendedAt ? fmtDate(t.suspendedAt) : '—'}: {t.suspendedReason ?? 'no reason given'}
        {t.suspendedVms.length ? ` (${t.suspendedVms.length} VM(s) shut down by the suspension)` : ''}
      </p>
      <form method="get" action={`/ops/tenants/${t.id}/unsuspend`} class="inline">
        <button type="submit">Unsuspend…</button>
      </form>
    </div>
  ) : (
    <form method="get" action={`/ops/tenants/${t.id}/suspend`} class="inline">
      <button type="submit" class="danger">
        Suspend tenant…
      </button>
    </form>
  );

const vmSummary = (r: VmPowerResult, verb: string): string =>
  [r.done.length ? `${r.done.length} VM(s) ${verb}.` : '', r.failed.length ? `Could not be ${verb}: ${r.failed.map((f) => `${f.uuid} (${f.error})`).join(', ')}.` : '']
    .filter(Boolean)
    .join(' ');

export function tenantSuspensionPages(ctx: AppContext, back: (c: PortalContext, notice: Notice) => Promise<Response>): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>();

  const confirmSuspend = async (c: PortalContext, t: Tenant, notice: Notice | null = null, reason = '', status: 200 | 400 = 200) => {
    const vmCount = (await tenantVms(ctx.db, t.id)).length;
    return opsFrame(
      c,
      `Suspend ${t.company}?`,
      <div class="card narrow">
        <p>While suspended, {t.company}'s users can still sign in, see their invoices and pay them. Starting, stopping and rebooting VMs and the console are refused, and open console sessions end now. Every page they see says the account is suspended and why.</p>
        <form method="post" action={`/ops/tenants/${t.id}/suspend`}>
          <CsrfField csrf={c.get('csrf')} />
          <input type="hidden" name="confirm" value="yes" />
          <label for="s-reason">Reason (the tenant sees it)</label>
          <textarea id="s-reason" name="reason" required maxlength={500} rows={3}>
            {reason}
          </textarea>
          <label>
            <input type="checkbox" name="stopVms" value="yes" /> Also shut down its {vmCount} VM(s) now (they start again when the tenant is unsuspended)
          </label>
          <div class="actions">
            <button type="submit" class="danger">
              Yes, suspend {t.company}
            </button>
            <a class="button" href="/ops/tenants">
              Cancel
            </a>
          </div>
        </form>
      </div>,
      notice,
      status,
    );
  };

  const confirmUnsuspend = (c: PortalContext, t: Tenant) =>
    opsFrame(
      c,
      `Unsuspend ${t.company}?`,
      <div class="card narrow">
        <p>
          Suspended since {t.suspendedAt ? fmtDate(t.suspendedAt) : '—'}: {t.suspendedReason ?? 'no reason given'}
        </p>
        <form method="post" action={`/ops/tenants/${t.id}/unsuspend`}>
          <CsrfField csrf={c.get('csrf')} />
          <input type="hidden" name="confirm" value="yes" />
          {t.suspendedVms.length ? (
            <label>
              <input type="checkbox" name="startVms" value="yes" checked /> Start the {t.suspendedVms.length} VM(s) the suspension shut down
            </label>
          ) : null}
          <div class="actions">
            <button type="submit" class="primary">
              Yes, unsuspend {t.company}
            </button>
            <a class="button" href="/ops/tenants">
              Cancel
            </a>
          </div>
        </form>
      </div>,
    );

  const by = (c: PortalContext) => {
    const auth = c.get('auth') as SessionAuth;
    return { userId: auth.user.id, label: auth.user.email, ip: clientIp(c) };
  };

  app.get('/ops/tenants/:id/suspend', async (c) => confirmSuspend(c, await getTenant(ctx, c.req.param('id'))));
  app.post('/ops/tenants/:id/suspend', async (c) => {
    const t = await getTenant(ctx, c.req.param('id'));
    const body = await c.req.parseBody();
    const reason = formString(body, 'reason', 600);
    if (body.confirm !== 'yes') return confirmSuspend(c, t, null, reason);
    try {
      const r = await suspendTenantAtEdge(ctx, { tenantId: t.id, reason, stopVms: body.stopVms === 'yes', by: by(c) });
      const text = [`${t.company} suspended.`, `${r.consolesClosed} console session(s) ended.`, vmSummary(r.vms, 'shut down')].filter(Boolean).join(' ');
      return back(c, { kind: r.vms.failed.length ? 'error' : 'ok', text });
    } catch (err) {
      if (err instanceof BillingError && err.code === 'InvalidInput') return confirmSuspend(c, t, { kind: 'error', text: err.message }, reason, 400);
      throw err;
    }
  });

  app.get('/ops/tenants/:id/unsuspend', async (c) => confirmUnsuspend(c, await getTenant(ctx, c.req.param('id'))));
  app.post('/ops/tenants/:id/unsuspend', async (c) => {
    const t = await getTenant(ctx, c.req.param('id'));
    const body = await c.req.parseBody();
    if (body.confirm !== 'yes') return confirmUnsuspend(c, t);
    const r = await unsuspendTenantAtEdge(ctx, { tenantId: t.id, startVms: body.startVms === 'yes', by: by(c) });
    const text = [`${t.company} unsuspended.`, vmSummary(r.vms, 'started')].filter(Boolean).join(' ');
    return back(c, { kind: r.vms.failed.length ? 'error' : 'ok', text });
  });

  return app;
}
