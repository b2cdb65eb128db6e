// Stripe saved methods: Checkout in setup mode to collect a card, SetupIntent + PaymentMethod reads for what
// was saved (brand, last 4, expiry: display metadata only), and detach on removal. Same SDK client as stripe.ts.
import Stripe from 'stripe';
import { PaymentProviderError, type SavedCard, type SavedMethods, type SetupOutcome, type SetupRequest, type SetupStart } from './provider.ts';

export class StripeSavedMethods implements SavedMethods {
  constructor(
    private readonly stripe: Stripe,
    private readonly mapError: (err: unknown) => Error,
  ) {}

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.mapError(err);
    }
  }

  async startSetup(r: SetupRequest): Promise<SetupStart> {
    const metadata = { tenant_id: r.tenantId, setup_id: r.setupId };
    const session = await this.call(() =>
      this.stripe.checkout.sessions.create(
        {
          mode: 'setup',
          customer: r.customerId,
          client_reference_id: r.setupId,
          // Cards only: the page shows brand, last 4 and expiry, and autopay charges off-session.
          currency: r.currency.toLowerCase(),
          allowed_payment_method_types: ['card'],
          metadata,
          setup_intent_data: { metadata, description: 'Autopay card for kamikazi invoices' },
          success_url: r.successUrl,
          cancel_url: r.cancelUrl,
        },
        { idempotencyKey: r.idempotencyKey },
      ),
    );
    if (!session.url) throw new PaymentProviderError(`Stripe setup session ${session.id} has no url`, false);
    return { providerRef: session.id, redirectUrl: session.url, expiresAt: session.expires_at ? new Date(session.expires_at * 1000) : null };
  }

  async readSetup(ref: { sessionId: string } | { setupIntentId: string }): Promise<SetupOutcome> {
    let intentId: string;
    if ('sessionId' in ref) {
      const s = await this.call(() => this.stripe.checkout.sessions.retrieve(ref.sessionId));
      if (s.mode !== 'setup') throw new PaymentProviderError(`Stripe session ${s.id} is not a setup session`, false);
      const si = typeof s.setup_intent === 'string' ? s.setup_intent : s.setup_intent?.id;
      if (s.status === 'expired') return { status: 'failed', setupId: s.metadata?.setup_id, card: null };
      if (s.status !== 'complete' || !si) return { status: 'pending', setupId: s.metadata?.setup_id, card: null };
      intentId = si;
    } else {
      intentId = ref.setupIntentId;
    }
    const si = await this.call(() => this.stripe.setupIntents.retrieve(intentId));
    const base = { setupIntentId: si.id, setupId: si.metadata?.setup_id, customerId: idOf(si.customer) };
    if (si.status === 'canceled') return { ...base, status: 'failed', card: null };
    const pmId = idOf(si.payment_method);
    if (si.status !== 'succeeded' || !pmId) return { ...base, status: 'pending', card: null };
    const pm = await this.call(() => this.stripe.paymentMethods.retrieve(pmId));
    return { ...base, status: 'succeeded', paymentMethodId: pm.id, card: cardOf(pm) };
  }

  async detach(r: { paymentMethodId: string; customerId: string; idempotencyKey: string }): Promise<void> {
    try {
      await this.stripe.paymentMethods.detach(r.paymentMethodId, {}, { idempotencyKey: r.idempotencyKey });
    } catch (err) {
      // Refused because it is no longer attached to this customer (a dashboard removal, or our own earlier
      // try whose key has expired): nothing is left to undo. Anything else is a real failure.
      if (!(err instanceof Stripe.errors.StripeInvalidRequestError) || (await this.attachedTo(r.paymentMethodId)) === r.customerId) throw this.mapError(err);
    }
  }

  /** The customer a method is attached to; undefined when detached or unknown to Stripe. */
  private async attachedTo(paymentMethodId: string): Promise<string | undefined> {
    try {
      return idOf((await this.stripe.paymentMethods.retrieve(paymentMethodId)).customer);
    } catch (err) {
      if (err instanceof Stripe.errors.StripeInvalidRequestError && err.statusCode === 404) return undefined;
      throw this.mapError(err);
    }
  }
}

function idOf(v: string | { id: string } | null | undefined): string | undefined {
  return typeof v === 'string' ? v : (v?.id ?? undefined);
}

function cardOf(pm: Stripe.PaymentMethod): SavedCard | null {
  const c = pm.card;
  if (!c) return null;
  return { brand: c.brand, last4: c.last4, expMonth: c.exp_month, expYear: c.exp_year };
}
