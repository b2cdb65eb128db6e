// The one interface our billing talks to for Stripe and PayPal. Implementations only speak to the
// provider (no database); verbs in this folder record results. Every money-moving call takes our key.
import type { ProviderName } from '../ledger/accounts.ts';

export type { ProviderName };

export interface CustomerRef {
  tenantId: string;
  name: string;
  email?: string | null;
}

export interface CheckoutRequest {
  paymentId: string;
  invoiceId: string;
  invoiceNumber?: string | null;
  tenantId: string;
  amount: bigint;
  currency: string;
  description: string;
  customerId?: string | null;
  idempotencyKey: string;
  successUrl: string;
  cancelUrl: string;
  /** Tithe to route at capture time (PayPal platform_fees), when the provider does that. */
  titheAtCapture?: bigint;
}

export interface CheckoutResult {
  /** cs_… (Stripe Checkout Session) or the PayPal order id. */
  providerPaymentId: string;
  redirectUrl: string;
}

export interface ChargeRequest {
  paymentId: string;
  invoiceId: string;
  tenantId: string;
  amount: bigint;
  currency: string;
  customerId: string;
  paymentMethodId: string;
  idempotencyKey: string;
  titheAtCapture?: bigint;
}

export interface ChargeResult {
  status: 'succeeded' | 'failed' | 'pending';
  providerPaymentId: string;
  providerChargeId?: string;
  amount: bigint;
  currency: string;
  failureReason?: string;
  /** Tithe the provider already routed (PayPal platform fee), so it is settled at capture. */
  titheRouted?: bigint;
}

export interface CaptureRequest {
  providerPaymentId: string;
  idempotencyKey: string;
}

export interface RefundRequest {
  providerChargeId: string;
  amount: bigint;
  currency: string;
  idempotencyKey: string;
}

export interface RefundResult {
  refundId: string;
  status: 'succeeded' | 'pending' | 'failed';
}

export interface TitheTransferRequest {
  amount: bigint;
  currency: string;
  idempotencyKey: string;
  /** Stripe: charge the transfer is funded from (source_transaction); absent for batched payouts. */
  sourceChargeId?: string | null;
  group: string;
}

export interface TitheTransferResult {
  providerRef: string;
  method: 'stripe_transfer' | 'paypal_payout';
}

/** What a verified webhook means to us. `eventId` is the provider's id: the exactly-once key. */
export type PaymentEvent = { provider: ProviderName; eventId: string; type: string } & (
  | {
      kind: 'payment_succeeded';
      providerPaymentId: string;
      providerIntentId?: string;
      providerChargeId: string;
      amount: bigint;
      currency: string;
      paymentId?: string;
      invoiceId?: string;
    }
  | { kind: 'payment_failed'; providerPaymentId: string; paymentId?: string; reason: string }
  | { kind: 'checkout_completed'; providerPaymentId: string; providerIntentId?: string; paymentId?: string }
  | { kind: 'order_approved'; providerPaymentId: string; paymentId?: string }
  | {
      kind: 'refunded';
      providerChargeId: string;
      providerIntentId?: string;
      /** Stripe reports the cumulative refunded total; PayPal one refund at a time. */
      cumulativeRefunded?: bigint;
      refundId?: string;
      amount?: bigint;
      currency: string;
      /** The capture, when the event carries it (Stripe charge), so a refund seen first can record it. */
      capture?: { amount: bigint; providerIntentId?: string };
    }
  | { kind: 'dispute_created'; providerChargeId: string; disputeId: string; amount: bigint; currency: string }
  | { kind: 'ignored' }
);

export interface PaymentProvider {
  readonly name: ProviderName;
  ensureCustomer(customer: CustomerRef, existingId?: string | null): Promise<string>;
  createCheckout(req: CheckoutRequest): Promise<CheckoutResult>;
  /** PayPal: capture an approved order. Stripe: read the PaymentIntent's outcome. */
  capture(req: CaptureRequest): Promise<ChargeResult>;
  chargeOffSession(req: ChargeRequest): Promise<ChargeResult>;
  refund(req: RefundRequest): Promise<RefundResult>;
  /** Throws WebhookVerificationError when the signature does not check out. */
  verifyWebhook(rawBody: string, headers: Record<string, string | undefined>): Promise<PaymentEvent>;
  settleTithe(req: TitheTransferRequest): Promise<TitheTransferResult>;
  /** Whether the tithe is routed by the provider at capture time (PayPal platform_fees). */
  readonly tithesAtCapture: boolean;
}

export class WebhookVerificationError extends Error {
  readonly code = 'WebhookVerificationFailed';
}

/** Provider refused or failed a call; `retryable` says whether the same key may be tried again. */
export class PaymentProviderError extends Error {
  readonly code = 'PaymentProviderError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** bigint minor units → the provider's integer amount; refuses amounts a JS number cannot hold exactly. */
export function toSafeInteger(amount: bigint): number {
  if (amount < 0n || amount > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`amount ${amount} out of range for the provider`);
  return Number(amount);
}
