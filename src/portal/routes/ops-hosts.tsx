// Operator pages: hosts (status, last successful poll, recent errors, add, remove).
import { Hono } from 'hono';
import type { AppContext } from '../../context.ts';
import { addHost, InvalidHostInput, listHosts, removeHost } from '../../hosts/registry.ts';
import { type PortalContext, type PortalEnv } from '../env.ts';
import type { PortalOptions } from '../options.ts';
import { forgetVmLists } from '../queries/vms.ts';
import { forgetLiveStates } from '../queries/live-state.ts';
import { CsrfField, type Notice } from '../pages/layout.tsx';
import { fmtDate } from '../pages/vm-parts.tsx';
import { formString } from './form.ts';
import { opsFrame } from '../pages/ops-frame.tsx';

export function opsHostPages(ctx: AppContext, _opts: PortalOptions): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>();
  // ---------- hosts ----------
  const hostsPage = async (c: PortalContext, notice: Notice | null = null, status: 200 | 400 = 200) => {
    const hosts = await listHosts(ctx.db);
    const csrf = c.get('csrf');
    return opsFrame(
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

  return app;
}
