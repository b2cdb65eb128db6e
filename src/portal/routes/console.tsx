// Console: the xterm.js page, the ticket endpoint, and the WebSocket that bridges to the VM's console.
import { Hono } from 'hono';
import { upgradeWebSocket } from '@hono/node-server';
import type { AppContext } from '../../context.ts';
import { issueConsoleTicket } from '../../auth/console-tickets.ts';
import { clientIp, type PortalEnv, type SessionAuth } from '../env.ts';
import type { PortalOptions } from '../options.ts';
import { getVmForActor } from '../queries/vms.ts';
import { authorizeConsole, ConsoleSession, type ConsoleGrant } from '../console-bridge.ts';
import { Layout } from '../pages/layout.tsx';
import { page } from '../render.ts';
import { CSP } from '../middleware/security-headers.ts';
import { assertTenantMayAct, TenantSuspendedError } from '../actions/suspension.ts';

type ConsoleEnv = PortalEnv & { Variables: { grant: ConsoleGrant } };

export function consolePages(ctx: AppContext, opts: PortalOptions): Hono<PortalEnv> {
  const app = new Hono<ConsoleEnv>();

  app.post('/vms/:id/console-ticket', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    const vm = await getVmForActor(ctx, auth.actor, c.req.param('id'));
    try {
      await assertTenantMayAct(ctx, auth.actor, vm.tenantId, 'The console is');
    } catch (err) {
      if (!(err instanceof TenantSuspendedError)) throw err;
      // The page's script shows `detail`; the same shape as the API's problems.
      return c.json({ title: 'Not allowed', status: 403, detail: err.message }, 403, { 'content-type': 'application/problem+json', 'cache-control': 'no-store' });
    }
    const { ticket, expiresAt } = await issueConsoleTicket(ctx, { userId: auth.user.id, sessionId: auth.session.id, vmUuid: vm.uuid });
    return c.json({ ticket, expiresAt: expiresAt.toISOString(), url: `/vms/${vm.uuid}/console?ticket=${ticket}` }, 200, { 'cache-control': 'no-store' });
  });

  app.get(
    '/vms/:id/console',
    async (c, next) => {
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
        const auth = c.get('auth') as SessionAuth;
        const vm = await getVmForActor(ctx, auth.actor, c.req.param('id'));
        if (auth.suspension && auth.actor.role !== 'operator') {
          // The banner says why; no terminal, no script asking for tickets that would be refused.
          return page(
            c,
            <Layout title={`Console · ${vm.name}`} auth={auth} csrf={c.get('csrf')}>
              <h1>
                Console · <a href={`/vms/${vm.uuid}`}>{vm.name}</a>
              </h1>
              <div id="console-status" class="notice error" role="status">
                The console is unavailable while this account is suspended.
              </div>
            </Layout>,
            403,
          );
        }
        // xterm.js injects its theme as a <style> element: this page alone allows inline styles (never scripts).
        c.header('content-security-policy', CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"));
        return page(
          c,
          <Layout title={`Console · ${vm.name}`} auth={auth} csrf={c.get('csrf')} scripts={['/assets/xterm.js', '/assets/addon-fit.js', '/assets/console.js']} styles={['/assets/xterm.css']}>
            <h1>
              Console · <a href={`/vms/${vm.uuid}`}>{vm.name}</a>
            </h1>
            <div id="console-status" class="notice info" role="status" aria-live="polite">
              Connecting…
            </div>
            <div id="terminal" data-vm={vm.uuid}></div>
          </Layout>,
        );
      }
      const grant = await authorizeConsole(ctx, opts, {
        vmId: c.req.param('id'),
        ticket: c.req.query('ticket'),
        headers: c.req.raw.headers,
        url: c.req.url,
        auth: c.get('auth'),
        ip: clientIp(c),
      });
      c.set('grant', grant);
      await next();
    },
    upgradeWebSocket((c) => {
      const session = new ConsoleSession(ctx, c.get('grant'));
      return {
        onOpen: (_e, ws) => {
          session.open(ws).catch((err: unknown) => ctx.log.error({ err }, 'console: open crashed'));
        },
        onMessage: (e) => session.message(e.data as string | ArrayBuffer),
        onClose: () => {
          void session.close();
        },
        onError: () => {
          void session.close();
        },
      };
    }),
  );

  return app as unknown as Hono<PortalEnv>;
}
