// HTTP edge for payments: provider webhooks (raw body, verified by signature, no session or CSRF) and the
// return URL the buyer's browser comes back to (signed-in users only, their own tenant's payments only).
import { Hono, type Context } from 'hono';
import { capturePayment } from './charge.ts';
import { PaymentError, type PaymentsDeps } from './deps.ts';
import { handleWebhook } from './webhooks.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The person behind a browser request. Operators may finish any tenant's payment; others only their own. */
export interface ReturningUser {
  tenantId: string | null;
  operator: boolean;
}

export interface PaymentRouteOptions {
  /** The signed-in user of this request, or null. Injected by the app (the portal's session): billing knows no cookies. */
  returningUser(c: Context): Promise<ReturningUser | null>;
  /** Where a browser without a session is sent. */
  signInPath: string;
}

/** Mount with app.route('/', paymentRoutes(deps, opts)). */
export function paymentRoutes(d: PaymentsDeps, o: PaymentRouteOptions): Hono {
  const app = new Hono();
  app.post('/webhooks/:provider{stripe|paypal}', async (c) => {
    const provider = c.req.param('provider') as 'stripe' | 'paypal';
    if (!d.providers.has(provider)) return c.json({ error: `${provider} is not configured` }, 404);
    // The exact bytes the provider signed: never a re-serialised JSON body.
    const raw = await c.req.text();
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((v, k) => (headers[k.toLowerCase()] = v));
    const r = await handleWebhook(d, provider, raw, headers);
    return c.json({ outcome: r.outcome }, r.status);
  });
  app.get('/pay/:provider{stripe|paypal}/return', async (c) => {
    const user = await o.returningUser(c);
    // Back here after signing in, so the payment is confirmed rather than lost in a redirect.
    if (!user) return c.redirect(`${o.signInPath}?next=${encodeURIComponent(c.req.path + new URL(c.req.url).search)}`, 302);
    const provider = c.req.param('provider') as 'stripe' | 'paypal';
    const paymentId = c.req.query('payment') ?? '';
    const notFound = () => c.json({ error: 'payment not found' }, 404);
    if (!UUID_RE.test(paymentId)) return notFound();
    // A tenant user without a tenant matches no payment; the empty id makes that explicit.
    const tenantId = user.operator ? undefined : (user.tenantId ?? '');
    try {
      const r = await capturePayment(d, { paymentId, tenantId, provider });
      return c.redirect(`${d.payments.publicUrl.replace(/\/$/, '')}/portal/invoices/${r.payment.invoiceId}?payment=${r.outcome}`);
    } catch (err) {
      if (err instanceof PaymentError) return err.code === 'NotFound' ? notFound() : c.json({ error: err.message }, 409);
      throw err;
    }
  });
  return app;
}
