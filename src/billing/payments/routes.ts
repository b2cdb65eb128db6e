// HTTP edge for payments: provider webhooks (raw body, verified) and the PayPal return URL. Mount with
// app.route('/', paymentRoutes(deps)).
import { Hono } from 'hono';
import { capturePayment } from './charge.ts';
import { PaymentError, type PaymentsDeps } from './deps.ts';
import { handleWebhook } from './webhooks.ts';

export function paymentRoutes(d: PaymentsDeps): Hono {
  const app = new Hono();
  app.post('/webhooks/:provider{stripe|paypal}', async (c) => {
    const provider = c.req.param('provider') as 'stripe' | 'paypal';
    if (!d.providers.has(provider)) return c.json({ error: `${provider} is not configured` }, 404);
    const raw = await c.req.text();
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((v, k) => (headers[k.toLowerCase()] = v));
    const r = await handleWebhook(d, provider, raw, headers);
    return c.json({ outcome: r.outcome }, r.status);
  });
  app.get('/pay/:provider{stripe|paypal}/return', async (c) => {
    const paymentId = c.req.query('payment') ?? '';
    try {
      const r = await capturePayment(d, { paymentId });
      return c.redirect(`${d.payments.publicUrl.replace(/\/$/, '')}/portal/invoices/${r.payment.invoiceId}?payment=${r.outcome}`);
    } catch (err) {
      if (err instanceof PaymentError) return c.json({ error: err.message }, err.code === 'NotFound' ? 404 : 409);
      throw err;
    }
  });
  return app;
}
