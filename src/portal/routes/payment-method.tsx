// The tenant's payment method page: the saved card (display metadata only), autopay on/off, add / replace
// card (Stripe Checkout in setup mode) and remove. Owners change it; members and operators (?tenant=ID) see it.
import { Hono } from 'hono';
import type { AppContext } from '../../context.ts';
import { PaymentError } from '../../billing/payments/deps.ts';
import { PaymentProviderError } from '../../billing/payments/provider.ts';
import type { PaymentMethodState } from '../../billing/payments/methods/state.ts';
import { finishSetupFor, mayChangeMethod, paymentMethodFor, removeMethodFor, setAutopayFor, startSetupFor } from '../actions/payment-method.ts';
import { clientIp, type PortalContext, type PortalEnv, type SessionAuth } from '../env.ts';
import { CsrfField, Layout, type Notice } from '../pages/layout.tsx';
import { fmtDate } from '../pages/vm-parts.tsx';
import { page } from '../render.ts';
import { CSP } from '../middleware/security-headers.ts';
import { formString } from './form.ts';

/** The add-card form's POST answers with a redirect to Stripe's hosted page: form-action must allow it. */
const PAGE_CSP = CSP.replace("form-action 'self'", "form-action 'self' https://checkout.stripe.com");

/** Outcomes carried in ?setup= after a redirect (PRG), as the person should read them. */
const SETUP_NOTICES: Record<string, Notice> = {
  saved: { kind: 'ok', text: 'Card saved.' },
  already: { kind: 'ok', text: 'Card saved.' },
  pending: { kind: 'info', text: 'Stripe has not confirmed the card yet. This page shows it as soon as it does.' },
  failed: { kind: 'error', text: 'The card was not saved (the page expired or the card was refused). Try again.' },
  canceled: { kind: 'info', text: 'No card was added.' },
  customer_mismatch: { kind: 'error', text: 'The card was not saved. Try again, or contact the operator.' },
  unknown_setup: { kind: 'error', text: 'The card was not saved. Try again, or contact the operator.' },
};

export function paymentMethodPages(ctx: AppContext): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>();

  const render = async (c: PortalContext, notice: Notice | null, status: 200 | 409 | 503 = 200) => {
    const auth = c.get('auth') as SessionAuth;
    const state = await paymentMethodFor(ctx, auth.actor, c.req.query('tenant'));
    const shown = notice ?? SETUP_NOTICES[c.req.query('setup') ?? ''] ?? null;
    c.header('content-security-policy', PAGE_CSP);
    return page(
      c,
      <Layout title="Payment method" auth={auth} csrf={c.get('csrf')} notice={shown}>
        <h1>Payment method</h1>
        <MethodCard state={state} canChange={mayChangeMethod(auth.actor)} csrf={c.get('csrf')} operator={auth.actor.role === 'operator'} />
      </Layout>,
      status,
    );
  };

  /** A refusal the person can act on is shown on the page; a provider outage is a 503 notice. */
  const failed = (c: PortalContext, err: unknown) => {
    if (err instanceof PaymentError && err.code !== 'NotFound') return render(c, { kind: 'error', text: err.message }, 409);
    if (err instanceof PaymentProviderError) {
      ctx.log.error({ err }, 'portal: payment method change failed at the provider');
      return render(c, { kind: 'error', text: 'Stripe did not answer or refused the request. Nothing was changed; try again in a minute, or tell the operator if it persists.' }, 503);
    }
    throw err;
  };

  app.get('/payment-method', (c) => render(c, null));

  app.post('/payment-method/setup', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    const body = await c.req.parseBody();
    try {
      const { redirectUrl } = await startSetupFor(ctx, auth.actor, { autopay: formString(body, 'autopay') === 'yes', ip: clientIp(c) });
      return c.redirect(redirectUrl, 303);
    } catch (err) {
      return failed(c, err);
    }
  });

  app.post('/payment-method/autopay', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    const enabled = formString(await c.req.parseBody(), 'enabled') === 'yes';
    try {
      await setAutopayFor(ctx, auth.actor, { enabled, ip: clientIp(c) });
      return render(c, { kind: 'ok', text: enabled ? 'Autopay is on.' : 'Autopay is off.' });
    } catch (err) {
      return failed(c, err);
    }
  });

  app.post('/payment-method/remove', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    try {
      const r = await removeMethodFor(ctx, auth.actor, { ip: clientIp(c) });
      return render(c, r === 'removed' ? { kind: 'ok', text: 'Card removed. Autopay is off.' } : { kind: 'info', text: 'No card was saved.' });
    } catch (err) {
      return failed(c, err);
    }
  });

  // Stripe's success URL. The webhook may have saved the card already; either way the answer is the same.
  app.get('/payment-method/return', async (c) => {
    const auth = c.get('auth') as SessionAuth;
    try {
      const outcome = await finishSetupFor(ctx, auth.actor, { setupId: c.req.query('setup') ?? '', ip: clientIp(c) });
      return c.redirect(`/payment-method?setup=${outcome}`, 303);
    } catch (err) {
      return failed(c, err);
    }
  });

  return app;
}

function MethodCard(p: { state: PaymentMethodState; canChange: boolean; csrf: string; operator: boolean }) {
  const s = p.state;
  const card = s.card;
  return (
    <>
      {p.operator ? <p class="muted">Tenant {s.tenantId}: read-only; only the tenant's owner can change its card.</p> : null}
      {s.unavailableReason ? (
        <div class="notice info" id="autopay-unavailable">
          {s.unavailableReason}
        </div>
      ) : null}
      <div class="card" id="payment-method">
        <dl class="kv">
          <dt>Provider</dt>
          <dd>{s.provider}</dd>
          <dt>Saved card</dt>
          <dd id="saved-card">
            {card ? `${card.brand} ending ${card.last4}, expires ${String(card.expMonth).padStart(2, '0')}/${card.expYear}` : s.hasMethod ? 'a saved payment method' : 'none'}
            {s.cardExpired ? <strong> (expired: replace it, or autopay will fail)</strong> : null}
          </dd>
          <dt>Autopay</dt>
          <dd id="autopay-state">{s.autopay ? 'on' : 'off'}</dd>
          <dt>Last changed</dt>
          <dd>{fmtDate(s.updatedAt)}</dd>
        </dl>
        <p class="muted">
          With autopay on, each invoice is charged to this card shortly after it is issued (open invoices not yet past due too). A failed
          charge is retried after the due date; you can always pay from the invoice page.
        </p>
        {p.canChange && !s.unavailableReason ? <OwnerForms state={s} csrf={p.csrf} /> : null}
        {!p.canChange && !p.operator ? <p class="muted">Only an owner of this account can change the card or autopay.</p> : null}
      </div>
    </>
  );
}

function OwnerForms({ state: s, csrf }: { state: PaymentMethodState; csrf: string }) {
  return (
    <>
      {s.hasMethod ? (
        <div class="actions">
          <form method="post" action="/payment-method/autopay" class="inline">
            <CsrfField csrf={csrf} />
            <input type="hidden" name="enabled" value={s.autopay ? 'no' : 'yes'} />
            <button type="submit" id="toggle-autopay">
              {s.autopay ? 'Turn autopay off' : 'Turn autopay on'}
            </button>
          </form>
          <form method="post" action="/payment-method/remove" class="inline" data-confirm="Remove this card? Autopay turns off.">
            <CsrfField csrf={csrf} />
            <button class="danger" type="submit" id="remove-card">
              Remove card
            </button>
          </form>
        </div>
      ) : null}
      <form method="post" action="/payment-method/setup" id="setup-form">
        <CsrfField csrf={csrf} />
        <h2>{s.hasMethod ? 'Replace the card' : 'Add a card'}</h2>
        <p class="muted">You enter the card on Stripe's page; this service only keeps its brand, last 4 digits and expiry.</p>
        <label>
          <input type="checkbox" name="autopay" value="yes" checked={s.autopay || !s.hasMethod} /> Use it for autopay
        </label>
        <div class="actions">
          <button class="primary" type="submit" id="add-card">
            {s.hasMethod ? 'Replace card' : 'Add card'}
          </button>
        </div>
      </form>
    </>
  );
}
