// Stripe behind PaymentProvider, with the official SDK. The client is built by the constructor (at start,
// from config), never at import. Every money-moving call sends an idempotency key derived from our ids.
import Stripe from 'stripe';
import type { Clock } from '../../clock.ts';
import {
  PaymentProviderError,
  WebhookVerificationError,
  toSafeInteger,
  type CaptureRequest,
  type ChargeRequest,
  type ChargeResult,
  type CheckoutRequest,
  type CheckoutResult,
  type CustomerRef,
  type PaymentEvent,
  type PaymentProvider,
  type RefundRequest,
  type RefundResult,
  type TitheRecoveryRequest,
  type TitheTransferRequest,
  type TitheTransferResult,
} from './provider.ts';
import { StripeSavedMethods } from './stripe-methods.ts';

export interface StripeSettings {
  secretKey: string;
  webhookSecret?: string;
  /** Where the API lives (tests: the local fake); default api.stripe.com. */
  apiBase?: URL;
  titheAccount?: string;
  clock: Clock;
}

export class StripeProvider implements PaymentProvider {
  readonly name = 'stripe' as const;
  readonly tithesAtCapture = false;
  private readonly stripe: Stripe;
  readonly savedMethods: StripeSavedMethods;

  constructor(private readonly s: StripeSettings) {
    const base = s.apiBase;
    this.stripe = new Stripe(s.secretKey, {
      maxNetworkRetries: 2,
      timeout: 20_000,
      ...(base
        ? {
            host: base.hostname,
            port: base.port || (base.protocol === 'http:' ? 80 : 443),
            protocol: base.protocol === 'http:' ? 'http' : 'https',
          }
        : {}),
    });
    this.savedMethods = new StripeSavedMethods(this.stripe, mapError);
  }

  async ensureCustomer(c: CustomerRef, existingId?: string | null): Promise<string> {
    if (existingId) return existingId;
    const customer = await this.call(() =>
      this.stripe.customers.create(
        { name: c.name, email: c.email ?? undefined, metadata: { tenant_id: c.tenantId } },
        { idempotencyKey: `customer_${c.tenantId}` },
      ),
    );
    return customer.id;
  }

  async createCheckout(r: CheckoutRequest): Promise<CheckoutResult> {
    const metadata = { invoice_id: r.invoiceId, payment_id: r.paymentId, tenant_id: r.tenantId };
    const session = await this.call(() =>
      this.stripe.checkout.sessions.create(
        {
          mode: 'payment',
          client_reference_id: r.invoiceId,
          customer: r.customerId ?? undefined,
          line_items: [
            {
              quantity: 1,
              price_data: { currency: r.currency.toLowerCase(), unit_amount: toSafeInteger(r.amount), product_data: { name: r.description } },
            },
          ],
          metadata,
          payment_intent_data: { metadata, transfer_group: `inv_${r.invoiceId}` },
          success_url: r.successUrl,
          cancel_url: r.cancelUrl,
        },
        { idempotencyKey: r.idempotencyKey },
      ),
    );
    if (!session.url) throw new PaymentProviderError(`Stripe checkout session ${session.id} has no url`, false);
    return { providerPaymentId: session.id, redirectUrl: session.url };
  }

  /** Stripe captures on confirmation; this reads the outcome (for a session or an intent). */
  async capture(r: CaptureRequest): Promise<ChargeResult> {
    let intentId = r.providerPaymentId;
    if (intentId.startsWith('cs_')) {
      const session = await this.call(() => this.stripe.checkout.sessions.retrieve(intentId));
      const pi = session.payment_intent;
      if (!pi) return { status: 'pending', providerPaymentId: r.providerPaymentId, amount: 0n, currency: (session.currency ?? '').toUpperCase() };
      intentId = typeof pi === 'string' ? pi : pi.id;
    }
    const intent = await this.call(() => this.stripe.paymentIntents.retrieve(intentId));
    return intentResult(intent);
  }

  async chargeOffSession(r: ChargeRequest): Promise<ChargeResult> {
    try {
      const intent = await this.stripe.paymentIntents.create(
        {
          amount: toSafeInteger(r.amount),
          currency: r.currency.toLowerCase(),
          customer: r.customerId,
          payment_method: r.paymentMethodId,
          off_session: true,
          confirm: true,
          metadata: { invoice_id: r.invoiceId, payment_id: r.paymentId, tenant_id: r.tenantId },
          transfer_group: `inv_${r.invoiceId}`,
        },
        { idempotencyKey: r.idempotencyKey },
      );
      return intentResult(intent);
    } catch (err) {
      if (err instanceof Stripe.errors.StripeCardError) {
        const pi = (err.raw as { payment_intent?: { id?: string } }).payment_intent;
        return {
          status: 'failed',
          providerPaymentId: pi?.id ?? '',
          amount: r.amount,
          currency: r.currency,
          failureReason: err.message,
        };
      }
      // Refused as invalid (e.g. the method was detached meanwhile): Stripe charged nothing, so this attempt
      // failed and the next one may use the tenant's current card. Idempotency conflicts are another class.
      if (err instanceof Stripe.errors.StripeInvalidRequestError) {
        return { status: 'failed', providerPaymentId: '', amount: r.amount, currency: r.currency, failureReason: `Stripe refused the charge: ${err.message}` };
      }
      throw mapError(err);
    }
  }

  async refund(r: RefundRequest): Promise<RefundResult> {
    const refund = await this.call(() =>
      this.stripe.refunds.create({ charge: r.providerChargeId, amount: toSafeInteger(r.amount) }, { idempotencyKey: r.idempotencyKey }),
    );
    const status = refund.status === 'succeeded' ? 'succeeded' : refund.status === 'failed' || refund.status === 'canceled' ? 'failed' : 'pending';
    return { refundId: refund.id, status };
  }

  async settleTithe(r: TitheTransferRequest): Promise<TitheTransferResult> {
    if (!this.s.titheAccount) throw new PaymentProviderError('TITHE_STRIPE_ACCOUNT is not set: cannot transfer the tithe', false);
    const destination = this.s.titheAccount;
    const transfer = await this.call(() =>
      this.stripe.transfers.create(
        {
          amount: toSafeInteger(r.amount),
          currency: r.currency.toLowerCase(),
          destination,
          transfer_group: r.group,
          ...(r.sourceChargeId ? { source_transaction: r.sourceChargeId } : {}),
        },
        { idempotencyKey: r.idempotencyKey },
      ),
    );
    return { providerRef: transfer.id, method: 'stripe_transfer' };
  }

  /** A partial reversal of the tithe transfer: the connected account pays that much back to us. */
  async recoverTithe(r: TitheRecoveryRequest): Promise<{ providerRef: string; amount: bigint }> {
    const reversal = await this.call(() =>
      this.stripe.transfers.createReversal(r.transferRef, { amount: toSafeInteger(r.amount) }, { idempotencyKey: r.idempotencyKey }),
    );
    // What was really reversed (a reversal is always in its transfer's currency) is what gets recorded.
    return { providerRef: reversal.id, amount: BigInt(reversal.amount) };
  }

  async verifyWebhook(rawBody: string, headers: Record<string, string | undefined>): Promise<PaymentEvent> {
    if (!this.s.webhookSecret) throw new WebhookVerificationError('STRIPE_WEBHOOK_SECRET is not set: refusing unverifiable webhooks');
    const sig = headers['stripe-signature'];
    if (!sig) throw new WebhookVerificationError('missing Stripe-Signature header');
    let event: Stripe.Event;
    try {
      const now = Math.floor(this.s.clock.now().getTime() / 1000);
      event = this.stripe.webhooks.constructEvent(rawBody, sig, this.s.webhookSecret, 300, undefined, now);
    } catch (err) {
      throw new WebhookVerificationError(`Stripe signature check failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    return stripeEvent(event);
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw mapError(err);
    }
  }
}

function intentResult(pi: Stripe.PaymentIntent): ChargeResult {
  const charge = typeof pi.latest_charge === 'string' ? pi.latest_charge : pi.latest_charge?.id;
  const base = { providerPaymentId: pi.id, amount: BigInt(pi.amount), currency: pi.currency.toUpperCase(), providerChargeId: charge ?? undefined };
  if (pi.status === 'succeeded') return { ...base, status: 'succeeded', amount: BigInt(pi.amount_received) };
  if (pi.status === 'canceled' || pi.status === 'requires_payment_method') {
    return { ...base, status: 'failed', failureReason: pi.last_payment_error?.message ?? pi.status };
  }
  return { ...base, status: 'pending' };
}

function mapError(err: unknown): Error {
  if (err instanceof Stripe.errors.StripeError) {
    const retryable =
      err instanceof Stripe.errors.StripeConnectionError ||
      err instanceof Stripe.errors.StripeAPIError ||
      err instanceof Stripe.errors.StripeRateLimitError ||
      (err.statusCode ?? 0) >= 500;
    return new PaymentProviderError(`Stripe: ${err.message}`, retryable, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

function metaOf(o: { metadata?: Stripe.Metadata | null }): Record<string, string> {
  return o.metadata ?? {};
}

/** Stripe event → our typed event. Unknown types are acknowledged and ignored. */
export function stripeEvent(event: Stripe.Event): PaymentEvent {
  const head = { provider: 'stripe' as const, eventId: event.id, type: event.type };
  switch (event.type) {
    case 'payment_intent.succeeded': {
      const pi = event.data.object;
      const charge = typeof pi.latest_charge === 'string' ? pi.latest_charge : pi.latest_charge?.id;
      if (!charge) return { ...head, kind: 'ignored' };
      return {
        ...head,
        kind: 'payment_succeeded',
        providerPaymentId: pi.id,
        providerIntentId: pi.id,
        providerChargeId: charge,
        amount: BigInt(pi.amount_received),
        currency: pi.currency.toUpperCase(),
        paymentId: metaOf(pi).payment_id,
        invoiceId: metaOf(pi).invoice_id,
      };
    }
    case 'payment_intent.payment_failed': {
      const pi = event.data.object;
      return {
        ...head,
        kind: 'payment_failed',
        providerPaymentId: pi.id,
        paymentId: metaOf(pi).payment_id,
        reason: pi.last_payment_error?.message ?? 'payment failed',
      };
    }
    case 'checkout.session.completed': {
      const s = event.data.object;
      if (s.mode === 'setup') {
        const si = typeof s.setup_intent === 'string' ? s.setup_intent : s.setup_intent?.id;
        return si ? { ...head, kind: 'setup_completed', setupIntentId: si, setupId: metaOf(s).setup_id, providerRef: s.id } : { ...head, kind: 'ignored' };
      }
      const pi = typeof s.payment_intent === 'string' ? s.payment_intent : s.payment_intent?.id;
      return { ...head, kind: 'checkout_completed', providerPaymentId: s.id, providerIntentId: pi ?? undefined, paymentId: metaOf(s).payment_id };
    }
    case 'setup_intent.succeeded': {
      const si = event.data.object;
      return { ...head, kind: 'setup_completed', setupIntentId: si.id, setupId: metaOf(si).setup_id };
    }
    case 'payment_method.detached': {
      return { ...head, kind: 'method_detached', paymentMethodId: event.data.object.id };
    }
    case 'charge.refunded': {
      const ch = event.data.object;
      const pi = typeof ch.payment_intent === 'string' ? ch.payment_intent : ch.payment_intent?.id;
      return {
        ...head,
        kind: 'refunded',
        providerChargeId: ch.id,
        providerIntentId: pi ?? undefined,
        cumulativeRefunded: BigInt(ch.amount_refunded),
        currency: ch.currency.toUpperCase(),
        capture: ch.captured && ch.paid ? { amount: BigInt(ch.amount), providerIntentId: pi ?? undefined } : undefined,
      };
    }
    case 'charge.dispute.created': {
      const d = event.data.object;
      const charge = typeof d.charge === 'string' ? d.charge : d.charge.id;
      return { ...head, kind: 'dispute_created', providerChargeId: charge, disputeId: d.id, amount: BigInt(d.amount), currency: d.currency.toUpperCase() };
    }
    default:
      return { ...head, kind: 'ignored' };
  }
}
