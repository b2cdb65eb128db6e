// Operator pages: VM assignment to tenants and plans, plans, invoice runs, the tithe statement.
import { Hono } from 'hono';
import type { AppContext } from '../../context.ts';
import { assignVm, formatMoney, listPlans, listTenants, runInvoicePeriod, createPlan, type RunResult } from '../../billing/index.ts';
import { titheStatement } from '../../billing/tithe/statement.ts';
import { periodLabelAt } from '../../billing/index.ts';
import { type PortalContext, type PortalEnv, type SessionAuth } from '../env.ts';
import type { PortalOptions } from '../options.ts';
import { forgetVmLists, listVmsForActor } from '../queries/vms.ts';
import { CsrfField, type Notice } from '../pages/layout.tsx';
import { fmtDate } from '../pages/vm-parts.tsx';
import { formString } from './form.ts';
import { opsFrame } from '../pages/ops-frame.tsx';

export function opsBillingPages(ctx: AppContext, _opts: PortalOptions): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>();
  // ---------- VM assignment ----------
  const vmsPage = async (c: PortalContext, notice: Notice | null = null, status: 200 | 400 = 200) => {
    const auth = c.get('auth') as SessionAuth;
    const [vms, tenants, plans] = await Promise.all([listVmsForActor(ctx, auth.actor), listTenants(ctx), listPlans(ctx)]);
    const csrf = c.get('csrf');
    return opsFrame(
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
    return opsFrame(
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
    return opsFrame(
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
    return opsFrame(
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
              <th>Opening owed back</th>
              <th>Earned</th>
              <th>Reversed</th>
              <th>Claimed back</th>
              <th>Sent</th>
              <th>Recovered</th>
              <th>Netted</th>
              <th>Closing owed</th>
              <th>Closing owed back</th>
              <th>Differences</th>
            </tr>
          </thead>
          <tbody>
            {lines.map((l) => (
              <tr>
                <td>{l.currency}</td>
                <td>{m(l.openingOwed, l.currency)}</td>
                <td>{m(l.openingOwedBack, l.currency)}</td>
                <td>{m(l.earned, l.currency)}</td>
                <td>{m(l.reversed, l.currency)}</td>
                <td>{m(l.claimed, l.currency)}</td>
                <td>{m(l.sent, l.currency)}</td>
                <td>{m(l.recovered, l.currency)}</td>
                <td>{m(l.netted, l.currency)}</td>
                <td>{m(l.closingOwed, l.currency)}</td>
                <td>{m(l.closingOwedBack, l.currency)}</td>
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
