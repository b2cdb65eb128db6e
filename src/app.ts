// createApp(ctx): the one Hono application — health, metrics, payments, portal and API — built from the service context.
import { Hono, type Context } from 'hono';
import type { AppContext } from './context.ts';
import { rows, sql } from './db/client.ts';
import { securityHeaders } from './portal/middleware/security-headers.ts';
import { clientIpMiddleware } from './portal/client-ip.ts';
import { createPortal, portalErrorHandler } from './portal/portal.tsx';
import { logMailer } from './auth/mailer.ts';
import { renderMetrics } from './collectors/metrics.ts';
import { createApi, isApiDataPath, isApiPath } from './api/api.ts';
import { handleApiError } from './api/errors.ts';
import { paymentRoutes, type ReturningUser } from './billing/payments/routes.ts';
import { paymentsDeps } from './billing/payments/deps.ts';
import { sessionMiddleware } from './portal/middleware/session.ts';
import type { PortalEnv } from './portal/env.ts';
import type { PortalOptions } from './portal/options.ts';

export function createApp(ctx: AppContext): Hono {
  const app = new Hono();
  app.use('*', securityHeaders(isApiDataPath));
  // Without trusted proxies the client is the socket's peer, which clientIp reads by itself.
  if (ctx.config.trustedProxies.length > 0) app.use('*', clientIpMiddleware(ctx.config.trustedProxies));
  // One error handler for the whole app, choosing by path: problem+json for the API, the error page elsewhere.
  // (Hono wraps every route of a sub-app that has an onError of its own in one more compose per request.)
  const apiError = handleApiError(ctx.log);
  const portalError = portalErrorHandler(ctx);
  app.onError((err, c) => (isApiPath(c.req.path) ? apiError(err, c) : portalError(err, c as unknown as Context<PortalEnv>)));

  app.get('/healthz', async (c) => {
    try {
      await rows(ctx.db, sql`select 1`);
      return c.json({ status: 'ok', time: ctx.clock.now().toISOString() });
    } catch (err) {
      ctx.log.error({ err }, 'health check: database unreachable');
      return c.json({ status: 'error', error: 'database unreachable' }, 503);
    }
  });

  // Prometheus text format; scrape from inside the operator's network (no tenant data in it).
  app.get('/metrics', (c) => c.body(renderMetrics(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }));

  // The JSON API (bearer tokens, problem+json errors) before the portal, which owns '/'.
  app.route('/api', createApi(ctx, { publicUrl: ctx.config.payments.publicUrl }));

  const portalOpts: PortalOptions = { mailer: ctx.mailer ?? logMailer(ctx.log), publicUrl: ctx.config.payments.publicUrl };
  // Payments: webhooks (signature-verified, outside the portal's session and CSRF checks) and the provider
  // return URL, which needs the portal's signed-in user to check the payment is theirs.
  const session = sessionMiddleware(ctx, portalOpts);
  const returningUser = async (c: Context): Promise<ReturningUser | null> => {
    const pc = c as unknown as Context<PortalEnv>;
    await session(pc, async () => {});
    const auth = pc.get('auth');
    return auth ? { tenantId: auth.actor.tenantId, operator: auth.actor.role === 'operator' } : null;
  };
  app.route('/', paymentRoutes(paymentsDeps(ctx), { returningUser, signInPath: '/login' }));

  app.route('/', createPortal(ctx, portalOpts));

  return app;
}
