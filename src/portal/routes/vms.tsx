// Tenant pages for VMs: dashboard, VM detail with charts, power actions with a confirmation step.
import { Hono } from 'hono';
import { raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { AppContext } from '../../context.ts';
import { HostError, type PowerAction } from '../../hosts/types.ts';
import { currentUptimeSeconds, usageSeries, type SeriesBin } from '../../collectors/usage-series.ts';
import { clientIp, type PortalContext, type PortalEnv, type SessionAuth } from '../env.ts';
import { listVmsForActor, getVmForActor, type VmView } from '../queries/vms.ts';
import { liveStates, type LiveState } from '../queries/live-state.ts';
import { periodEstimate, type PeriodEstimate } from '../queries/estimate.ts';
import { isPowerAction, powerVm, POWER_ACTIONS, POWER_LABEL } from '../actions/power.ts';
import { CsrfField, Layout, type Notice } from '../pages/layout.tsx';
import { CHARTS, UsageChart } from '../pages/chart.tsx';
import { StateBadge, fmtDate, fmtDuration, fmtQuantity } from '../pages/vm-parts.tsx';
import { page, renderHtml } from '../render.ts';
import { billingPeriod, getTenant, periodLabelAt } from '../../billing/index.ts';

const CONFIRM_TEXT: Record<PowerAction, string> = {
  start: 'The VM boots from its configuration.',
  shutdown: 'The guest is asked to shut down cleanly; it stops once its operating system has finished.',
  reboot: 'The guest is asked to reboot; open consoles reconnect when it is back.',
  destroy: 'The VM is switched off at once, like pulling the plug. Unsaved data in the guest is lost.',
};

const RANGES: Record<string, { label: string; ms?: number; bin: SeriesBin }> = {
  '24h': { label: '24 h', ms: 86_400_000, bin: '5min' },
  '7d': { label: '7 d', ms: 7 * 86_400_000, bin: 'hour' },
  '30d': { label: '30 d', ms: 30 * 86_400_000, bin: 'day' },
  period: { label: 'This billing period', bin: 'day' },
};

export function vmPages(ctx: AppContext): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>();

  app.get('/', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    const vms = await listVmsForActor(ctx, auth.actor);
    const live = await liveStates(ctx, vms);
    const estimate = auth.actor.tenantId ? await periodEstimate(ctx, auth.actor.tenantId, vms) : null;
    const body = dashboardBody({ operator: auth.actor.role === 'operator', vms, live, estimate });
    let page = dashboardPages.get(auth);
    if (page?.body !== body) {
      const html = `<!doctype html>${renderHtml(
        <Layout title="Dashboard" auth={auth} csrf={c.get('csrf')}>
          {body}
        </Layout>,
      )}`;
      dashboardPages.set(auth, (page = { body, bytes: new TextEncoder().encode(html) }));
    }
    return c.body(page.bytes, 200, HTML);
  });

  app.get('/vms/:id', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    return renderVm(c, auth, c.req.query('range') ?? '24h', null, 200);
  });

  // The confirmation step (works without JavaScript).
  app.get('/vms/:id/power/:action', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    const action = c.req.param('action');
    if (!isPowerAction(action)) return c.notFound();
    const vm = await getVmForActor(ctx, auth.actor, c.req.param('id'));
    // A suspended tenant gets the refusal here already, not a form whose answer is a refusal.
    if (auth.suspension) return renderVm(c, auth, '24h', null, 403);
    return page(
      c,
      <Layout title={`${POWER_LABEL[action]} ${vm.name}`} auth={auth} csrf={c.get('csrf')}>
        <div class="card narrow">
          <h1>
            {POWER_LABEL[action]} {vm.name}?
          </h1>
          <p>{CONFIRM_TEXT[action]}</p>
          <form method="post" action={`/vms/${vm.uuid}/power/${action}`}>
            <CsrfField csrf={c.get('csrf')} />
            <input type="hidden" name="confirm" value="yes" />
            <div class="actions">
              <button class={action === 'destroy' ? 'danger' : 'primary'} type="submit">
                Yes, {POWER_LABEL[action].toLowerCase()}
              </button>
              <a class="button" href={`/vms/${vm.uuid}`}>
                Cancel
              </a>
            </div>
          </form>
        </div>
      </Layout>,
    );
  });

  app.post('/vms/:id/power/:action', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    const action = c.req.param('action');
    if (!isPowerAction(action)) return c.notFound();
    const body = await c.req.parseBody();
    if (body.confirm !== 'yes') return c.redirect(`/vms/${encodeURIComponent(c.req.param('id'))}/power/${action}`, 303);
    let notice: Notice;
    let status: 200 | 409 | 503 = 200;
    try {
      const vm = await powerVm(ctx, auth.actor, c.req.param('id'), action, clientIp(c));
      notice = { kind: 'ok', text: `${POWER_LABEL[action]}: sent to ${vm.name}.` };
    } catch (err) {
      if (!(err instanceof HostError)) throw err;
      if (err.code === 'InvalidState') {
        status = 409;
        notice = { kind: 'error', text: `${POWER_LABEL[action]} does not fit the VM's state: ${err.message}` };
      } else if (err.code === 'HostUnreachable' || err.code === 'HostTimeout') {
        status = 503;
        notice = { kind: 'error', text: `The host is unreachable right now, nothing was done. Try again in a minute. (${err.message})` };
      } else {
        status = 503;
        notice = { kind: 'error', text: `The host refused the action: ${err.message}` };
      }
    }
    return renderVm(c, auth, '24h', notice, status);
  });

  async function renderVm(c: PortalContext, auth: SessionAuth, rangeKey: string, notice: Notice | null, status: 200 | 403 | 409 | 503) {
    const csrf = c.get('csrf');
    const vm = await getVmForActor(ctx, auth.actor, c.req.param('id') ?? '');
    const live = (await liveStates(ctx, [vm])).get(vm.uuid);
    const range = RANGES[rangeKey] ? rangeKey : '24h';
    const now = ctx.clock.now();
    let from: Date;
    if (range === 'period' && vm.tenantId) {
      const t = await getTenant(ctx, vm.tenantId);
      from = billingPeriod(t.billingDay, periodLabelAt(t.billingDay, now)).start;
    } else {
      from = new Date(now.getTime() - (RANGES[range].ms ?? 30 * 86_400_000));
    }
    const uptime = live?.state === 'stopped' ? null : await currentUptimeSeconds(ctx.db, vm.uuid, now);
    const series = await usageSeries(ctx.db, { vmUuid: vm.uuid, from, to: now, bin: RANGES[range].bin, hostId: vm.hostId });
    return page(
      c,
      <Layout title={vm.name} auth={auth} csrf={csrf} notice={notice}>
        <h1>{vm.name}</h1>
        <div class="card">
          <dl class="kv">
            <dt>State</dt>
            <dd>
              <StateBadge live={live} fallback={vm.state} />
            </dd>
            <dt>Uptime</dt>
            <dd id="uptime">{uptime === null ? '—' : `${fmtDuration(uptime)} (from metering)`}</dd>
            <dt>UUID</dt>
            <dd class="mono">{vm.uuid}</dd>
            <dt>Plan</dt>
            <dd>{vm.planName ?? '—'}</dd>
            <dt>vCPUs / memory</dt>
            <dd>
              {vm.vcpus} vCPU, {vm.memoryMiB} MiB
            </dd>
            <dt>Host</dt>
            <dd>{vm.hostName ?? '—'}</dd>
            <dt>Last polled</dt>
            <dd>{fmtDate(vm.lastSeenAt)}</dd>
          </dl>
          {auth.suspension ? (
            <p class="muted" id="power-unavailable">
              Power actions and the console are unavailable while this account is suspended (see the notice above).
            </p>
          ) : (
            <div class="actions">
              {POWER_ACTIONS.map((a) => (
                <form method="post" action={`/vms/${vm.uuid}/power/${a}`} class="inline" data-confirm={`${POWER_LABEL[a]} ${vm.name}?`}>
                  <CsrfField csrf={csrf} />
                  <input type="hidden" name="confirm" value="yes" />
                  <button type="submit" class={a === 'destroy' ? 'danger' : ''} data-action={a}>
                    {POWER_LABEL[a]}
                  </button>
                </form>
              ))}
              <a class="button" href={`/vms/${vm.uuid}/console`}>
                Console
              </a>
            </div>
          )}
          {!auth.suspension && <p class="muted">Without JavaScript each button first shows a confirmation page.</p>}
        </div>
        <h2>Usage</h2>
        <div class="tabs">
          {Object.entries(RANGES).map(([k, r]) => (
            <a href={`/vms/${vm.uuid}?range=${k}`} class={k === range ? 'on' : ''}>
              {r.label}
            </a>
          ))}
        </div>
        <div class="grid">
          {CHARTS.map((spec) => (
            <UsageChart series={series} spec={spec} />
          ))}
        </div>
      </Layout>,
      status,
    );
  }

  return app;
}

interface DashboardData {
  operator: boolean;
  vms: VmView[];
  live: Map<string, LiveState>;
  estimate: PeriodEstimate | null;
}

/**
 * The dashboard's body (nothing per user or session in it) rendered once per cached VM list, estimate and live-state
 * map (liveStates hands back the same map while nothing changed): a tenant's dashboards polled under load then cost
 * a lookup instead of 50 table rows each.
 */
const dashboardBodies = new WeakMap<VmView[], { operator: boolean; live: Map<string, LiveState>; estimate: PeriodEstimate | null; html: HtmlEscapedString }>();
function dashboardBody(p: DashboardData): HtmlEscapedString {
  const hit = dashboardBodies.get(p.vms);
  if (hit && hit.operator === p.operator && hit.live === p.live && hit.estimate === p.estimate) return hit.html;
  const html = raw(renderHtml(<DashboardBody {...p} />));
  dashboardBodies.set(p.vms, { operator: p.operator, live: p.live, estimate: p.estimate, html });
  return html;
}

/**
 * The whole page per session (one auth object while its validation is cached, see sessionMiddleware) and body,
 * kept as UTF-8: sent as a string, every response would measure and encode its ~15 KB (50 VMs) again.
 */
const dashboardPages = new WeakMap<SessionAuth, { body: HtmlEscapedString; bytes: Uint8Array<ArrayBuffer> }>();
const HTML = { 'content-type': 'text/html; charset=UTF-8' };

const DashboardBody = (p: DashboardData) => (
  <>
    <h1>Dashboard</h1>
    {p.estimate ? (
      <div class="card" id="period">
        <h2>
          This billing period ({fmtDate(p.estimate.period.start).slice(0, 10)} – {fmtDate(p.estimate.period.end).slice(0, 10)})
        </h2>
        <dl class="kv">
          <dt>CPU time</dt>
          <dd>{fmtQuantity(p.estimate.usage.cpu_seconds, 3600n)} CPU h</dd>
          <dt>Memory</dt>
          <dd>{fmtQuantity(p.estimate.usage.mem_mib_seconds, 1024n * 3600n)} GiB h</dd>
          <dt>Disk read / write</dt>
          <dd>
            {fmtQuantity(p.estimate.usage.disk_read_bytes, 1n << 30n, 3)} / {fmtQuantity(p.estimate.usage.disk_write_bytes, 1n << 30n, 3)} GiB
          </dd>
          <dt>Network in / out</dt>
          <dd>
            {fmtQuantity(p.estimate.usage.net_rx_bytes, 1n << 30n, 3)} / {fmtQuantity(p.estimate.usage.net_tx_bytes, 1n << 30n, 3)} GiB
          </dd>
          <dt>Estimated charge</dt>
          <dd id="estimate">{p.estimate.estimatedCharge ?? 'not available yet'}</dd>
        </dl>
      </div>
    ) : null}
    <h2>Virtual machines</h2>
    {p.vms.length === 0 ? (
      <p class="muted">No VMs are assigned to you yet.</p>
    ) : (
      <table id="vms">
        <thead>
          <tr>
            <th>Name</th>
            <th>State</th>
            <th>vCPU</th>
            <th>Memory</th>
            <th>Plan</th>
            {p.operator ? <th>Tenant</th> : null}
          </tr>
        </thead>
        <tbody>
          {p.vms.map((v) => (
            <tr data-vm={v.uuid}>
              <td>
                <a href={`/vms/${v.uuid}`}>{v.name}</a>
              </td>
              <td>
                <StateBadge live={p.live.get(v.uuid)} fallback={v.state} />
              </td>
              <td>{v.vcpus}</td>
              <td>{v.memoryMiB} MiB</td>
              <td>{v.planName ?? '—'}</td>
              {p.operator ? <td>{v.tenantName ?? 'unassigned'}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </>
);
