// createPortal: the server-rendered tenant and operator pages, with sessions, CSRF and error pages.
// Its middleware acts only on the portal's own paths, so routes other modules mount are untouched.
import { Hono, type Context } from 'hono';
import type { AppContext } from '../context.ts';
import { AuthError } from '../auth/errors.ts';
import { HostError } from '../hosts/types.ts';
import { BillingError } from '../billing/index.ts';
import type { PortalEnv } from './env.ts';
import type { PortalOptions } from './options.ts';
import { sessionMiddleware } from './middleware/session.ts';
import { csrfProtection } from './middleware/csrf.ts';
import { assetRoutes } from './static.ts';
import { authPages } from './routes/auth-pages.tsx';
import { vmPages } from './routes/vms.tsx';
import { accountPages } from './routes/account.tsx';
import { consolePages } from './routes/console.tsx';
import { opsPages } from './routes/ops.tsx';
import { invoicePages } from './routes/invoices.tsx';
import { paymentMethodPages } from './routes/payment-method.tsx';
import { errorPage } from './pages/error.tsx';
import { safeNextPath, signInUrl } from './next-path.ts';

const PUBLIC = [/^\/login(\/totp)?$/, /^\/logout$/, /^\/forgot$/, /^\/reset\/[^/]+$/, /^\/invite\/[^/]+$/];
const PRIVATE = [/^\/$/, /^\/vms(\/|$)/, /^\/account(\/|$)/, /^\/audit$/, /^\/invoices(\/|$)/, /^\/ops(\/|$)/, /^\/payments(\/|$)/, /^\/payment-method(\/|$)/, /^\/portal\/invoices\/[^/]+$/];

export const isPortalPath = (p: string): boolean => PUBLIC.some((r) => r.test(p)) || PRIVATE.some((r) => r.test(p));
const isPrivatePath = (p: string): boolean => PRIVATE.some((r) => r.test(p));

export function portalErrorHandler(ctx: AppContext) {
  return (err: Error, c: Context<PortalEnv>): Promise<Response> => {
    const code = (err as { code?: string }).code;
    // Domain errors of every module carry a closed `code`; HostError is mapped below by its own codes.
    if (!(err instanceof HostError) && (err instanceof AuthError || err instanceof BillingError || typeof code === 'string')) {
      if (code === 'NotFound') return errorPage(c, 404, 'Not found', 'There is nothing here, or it is not yours to see.');
      if (code === 'Forbidden') return errorPage(c, 403, 'Not allowed', err.message);
      if (code === 'Validation' || code === 'InvalidInput' || code === 'CurrencyMismatch') return errorPage(c, 400, 'Please check the form', err.message);
      if (code === 'Conflict' || code === 'InvoiceNotDraft' || code === 'InvalidTransition') return errorPage(c, 409, 'Cannot do that now', err.message);
      if (code === 'InvalidToken') return errorPage(c, 400, 'Link not valid', err.message);
      if (code === 'NotPayable' || code === 'NoPaymentMethod') return errorPage(c, 409, 'Cannot pay this invoice', err.message);
      if (code === 'Throttled') return errorPage(c, 429, 'Slow down', err.message);
    }
    if (err instanceof HostError) {
      if (code === 'InvalidState') return errorPage(c, 409, 'Not possible in this state', err.message);
      return errorPage(c, 503, 'Host unreachable', 'The host did not answer. Try again in a minute.');
    }
    ctx.log.error({ err, path: c.req.path }, 'portal: unhandled error');
    return errorPage(c, 500, 'Something went wrong', 'The error was logged. Try again, or contact the operator.');
  };
}

export function createPortal(ctx: AppContext, opts: PortalOptions): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>();
  const session = sessionMiddleware(ctx, opts);
  const csrf = csrfProtection(opts, () => {
    throw new AuthError('Forbidden', 'This form could not be verified (it may have expired, or come from another site). Reload the page and try again.');
  });

  app.route('/', assetRoutes());
  app.use('*', async (c, next) => {
    const path = c.req.path;
    if (!isPortalPath(path)) return next();
    return session(c, async () => {
      await csrf(c, async () => {
        if (isPrivatePath(path) && !c.get('auth')) {
          if (c.req.method === 'GET' && c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
            // Back here after signing in (a payment return link, a bookmarked invoice).
            const url = new URL(c.req.url);
            c.res = c.redirect(signInUrl(c.get('pending') ? '/login/totp' : '/login', safeNextPath(url.pathname + url.search)), 302);
            return;
          }
          throw new AuthError('NotFound', 'not signed in');
        }
        await next();
      });
    });
  });
  app.route('/', authPages(ctx, opts));
  app.route('/', vmPages(ctx));
  app.route('/', accountPages(ctx));
  app.route('/', consolePages(ctx, opts));
  app.route('/', opsPages(ctx, opts));
  app.route('/', invoicePages(ctx));
  app.route('/', paymentMethodPages(ctx));
  return app; // its errors: portalErrorHandler, installed by createApp for every path outside the API
}
