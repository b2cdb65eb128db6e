// Invoices: list, detail (the billing core's HTML in a sandboxed frame), PDF, and pay through the
// tenant's payment provider (Stripe Checkout or PayPal approval, via the payments module).
import { Hono } from 'hono';
import type { AppContext } from '../../context.ts';
import { buildInvoiceView, formatMoney, renderInvoiceHtml, renderInvoicePdf } from '../../billing/index.ts';
import { startCheckout } from '../../billing/payments/charge.ts';
import { PaymentError, paymentsDeps } from '../../billing/payments/deps.ts';
import { collectionLog, invoicePaymentHistory, type CollectionEvent, type PaymentHistoryEntry } from '../../billing/payments/history.ts';
import { getPaymentMethodState } from '../../billing/payments/methods/state.ts';
import type { PortalContext, PortalEnv, SessionAuth } from '../env.ts';
import { getInvoiceForActor, listInvoicesForActor } from '../queries/invoices.ts';
import { CsrfField, Layout, type Notice } from '../pages/layout.tsx';
import { fmtDate } from '../pages/vm-parts.tsx';
import { page } from '../render.ts';
import { CSP } from '../middleware/security-headers.ts';

/** Hosted payment pages the pay button may lead to (Stripe Checkout, PayPal approval). */
const PROVIDER_PAGES = 'https://checkout.stripe.com https://www.paypal.com https://www.sandbox.paypal.com';

/** The invoice document may carry its own inline styles; scripts stay forbidden. */
const INVOICE_FRAME_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

export function invoicePages(ctx: AppContext): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>();
  const provider = ctx.config.billingProvider;

  app.get('/invoices', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    const list = await listInvoicesForActor(ctx, auth.actor);
    const log = auth.actor.tenantId ? await collectionLog(ctx.db, { tenantId: auth.actor.tenantId, limit: 20 }) : [];
    return page(
      c,
      <Layout title="Invoices" auth={auth} csrf={c.get('csrf')}>
        <h1>Invoices</h1>
        {list.length === 0 ? (
          <p class="muted">No invoices yet.</p>
        ) : (
          <table id="invoices">
            <thead>
              <tr>
                <th>Number</th>
                <th>Period</th>
                <th>Status</th>
                <th>Total</th>
                <th>Due</th>
              </tr>
            </thead>
            <tbody>
              {list.map((i) => (
                <tr data-invoice={i.id}>
                  <td>
                    <a href={`/invoices/${i.id}`}>{i.number ?? 'draft'}</a>
                  </td>
                  <td>
                    {fmtDate(i.periodStart).slice(0, 10)} – {fmtDate(i.periodEnd).slice(0, 10)}
                  </td>
                  <td>{i.status}</td>
                  <td>{formatMoney({ amount: i.total, currency: i.currency })}</td>
                  <td>{fmtDate(i.dueAt).slice(0, 10)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <CollectionLog events={log} numbers={new Map(list.map((i) => [i.id, i.number ?? 'draft']))} />
      </Layout>,
    );
  });

  const detail = async (c: PortalContext, notice: Notice | null, status: 200 | 409 | 503 = 200) => {
    const auth = c.get('auth') as SessionAuth;
    const inv = await getInvoiceForActor(ctx, auth.actor, c.req.param('id') ?? '');
    const payable = (inv.status === 'finalized' || inv.status === 'uncollectible') && inv.total > 0n;
    const history = await invoicePaymentHistory(ctx.db, inv.id);
    const log = await collectionLog(ctx.db, { tenantId: inv.tenantId, invoiceId: inv.id });
    // Whether this open invoice will be collected by autopay, so nobody pays it twice by hand.
    const method = payable ? await getPaymentMethodState(paymentsDeps(ctx), inv.tenantId) : null;
    const outcome = c.req.query('payment');
    // The pay form's POST answers with a redirect to the provider's hosted page; form-action must allow it.
    c.header('content-security-policy', CSP.replace("form-action 'self'", `form-action 'self' ${PROVIDER_PAGES}`));
    const shown = notice ?? (outcome ? { kind: outcome === 'failed' ? 'error' : 'info', text: `Payment: ${outcome.replace(/[^a-z_]/g, '').replace(/_/g, ' ')}.` } as Notice : null);
    return page(
      c,
      <Layout title={`Invoice ${inv.number ?? 'draft'}`} auth={auth} csrf={c.get('csrf')} notice={shown}>
        <h1>Invoice {inv.number ?? '(draft)'}</h1>
        <div class="card">
          <dl class="kv">
            <dt>Status</dt>
            <dd id="invoice-status">{inv.status}</dd>
            <dt>Total</dt>
            <dd>{formatMoney({ amount: inv.total, currency: inv.currency })}</dd>
            <dt>Due</dt>
            <dd>{fmtDate(inv.dueAt)}</dd>
            <dt>Paid</dt>
            <dd>{fmtDate(inv.paidAt)}</dd>
            {method ? (
              <>
                <dt>Autopay</dt>
                <dd id="invoice-autopay">
                  {method.autopay && method.card
                    ? `on: charged to ${method.card.brand} ending ${method.card.last4} (failed charges are retried after the due date)`
                    : 'off'}{' '}
                  <a href={auth.actor.role === 'operator' ? `/payment-method?tenant=${inv.tenantId}` : '/payment-method'}>payment method</a>
                </dd>
              </>
            ) : null}
          </dl>
          <div class="actions">
            <a class="button" href={`/invoices/${inv.id}/pdf`} id="pdf-link">
              Download PDF
            </a>
            {payable && auth.actor.role !== 'operator' ? (
              <form method="post" action={`/invoices/${inv.id}/pay`} class="inline">
                <CsrfField csrf={c.get('csrf')} />
                <button class="primary" type="submit" id="pay">
                  Pay now
                </button>
              </form>
            ) : null}
          </div>
        </div>
        <PaymentHistory entries={history} />
        <CollectionLog events={log} />
        <iframe class="invoice" src={`/invoices/${inv.id}/html`} title={`Invoice ${inv.number ?? ''}`} sandbox=""></iframe>
      </Layout>,
      status,
    );
  };

  app.get('/invoices/:id', (c) => detail(c, null));

  app.get('/invoices/:id/html', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    const inv = await getInvoiceForActor(ctx, auth.actor, c.req.param('id'));
    const html = renderInvoiceHtml(await buildInvoiceView(ctx, { invoiceId: inv.id, provider }));
    return c.html(html, 200, { 'content-security-policy': INVOICE_FRAME_CSP, 'x-frame-options': 'SAMEORIGIN' });
  });

  app.get('/invoices/:id/pdf', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    const inv = await getInvoiceForActor(ctx, auth.actor, c.req.param('id'));
    const pdf = await renderInvoicePdf(await buildInvoiceView(ctx, { invoiceId: inv.id, provider }));
    const name = (inv.number ?? `draft-${inv.id}`).replace(/[^A-Za-z0-9_-]/g, '_');
    return c.body(new Uint8Array(pdf), 200, { 'content-type': 'application/pdf', 'content-disposition': `inline; filename="${name}.pdf"`, 'cache-control': 'private, no-store' });
  });

  app.post('/invoices/:id/pay', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    const inv = await getInvoiceForActor(ctx, auth.actor, c.req.param('id'));
    try {
      const { redirectUrl } = await startCheckout(paymentsDeps(ctx), { invoiceId: inv.id });
      return c.redirect(redirectUrl, 303);
    } catch (err) {
      if (!(err instanceof PaymentError)) {
        ctx.log.error({ err, invoice: inv.id }, 'portal: checkout failed');
        return detail(c, { kind: 'error', text: 'The payment provider did not answer. Try again in a minute.' }, 503);
      }
      return detail(c, { kind: 'error', text: err.message }, 409);
    }
  });

  // The payments module's return and cancel URLs point at /portal/invoices/:id.
  app.get('/portal/invoices/:id', (c) => {
    const q = c.req.query('payment');
    return c.redirect(`/invoices/${encodeURIComponent(c.req.param('id'))}${q ? `?payment=${encodeURIComponent(q)}` : ''}`, 302);
  });

  return app;
}

const METHOD_LABEL: Record<string, string> = { checkout: 'checkout', off_session: 'autopay' };

/** Every attempt to collect this invoice, so a tenant can see what was charged, failed or refunded. */
function PaymentHistory({ entries }: { entries: PaymentHistoryEntry[] }) {
  if (entries.length === 0) return null;
  return (
    <section class="card">
      <h2>Payments</h2>
      <table id="payments">
        <thead>
          <tr>
            <th>Started</th>
            <th>Provider</th>
            <th>Method</th>
            <th>Status</th>
            <th>Amount</th>
            <th>Refunded</th>
            <th>Note</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((p) => (
            <tr data-attempt={String(p.attempt)}>
              <td>{fmtDate(p.createdAt)}</td>
              <td>{p.provider}</td>
              <td>{METHOD_LABEL[p.method] ?? p.method}</td>
              <td>{p.status}</td>
              <td>{formatMoney({ amount: p.amount, currency: p.currency })}</td>
              <td>{p.refundedAmount > 0n ? formatMoney({ amount: p.refundedAmount, currency: p.currency }) : '–'}</td>
              <td>{p.disputedAmount > 0n ? `disputed ${formatMoney({ amount: p.disputedAmount, currency: p.currency })}` : (p.failureReason ?? '')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The dunning steps, as the tenant is told of them (issue #3: every step logged for the tenant to see). */
function CollectionLog({ events, numbers }: { events: CollectionEvent[]; numbers?: Map<string, string> }) {
  if (events.length === 0) return null;
  return (
    <section class="card">
      <h2>Reminders and collection</h2>
      <table id="collection">
        <thead>
          <tr>
            <th>When</th>
            {numbers ? <th>Invoice</th> : null}
            <th>Step</th>
            <th>What happened</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr data-kind={e.kind}>
              <td>{fmtDate(e.at)}</td>
              {numbers ? <td>{e.invoiceId ? <a href={`/invoices/${e.invoiceId}`}>{numbers.get(e.invoiceId) ?? 'invoice'}</a> : 'all'}</td> : null}
              <td>{e.kind.replace(/_/g, ' ')}</td>
              <td>{e.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
