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
  /** PayPal: platform fee (tithe) the payee gives back with this refund (`payment_instruction.platform_fees`). */
  titheFee?: bigint;
}

export interface RefundResult {
  refundId: string;
  status: 'succeeded' | 'pending' | 'failed';
  /** Platform fee the provider reports as given back (PayPal `seller_payable_breakdown.platform_fees`). */
  titheReturned?: bigint;
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

/** Taking back part of a tithe transfer (Stripe: a transfer reversal). */
export interface TitheRecoveryRequest {
  /** The transfer (tr_…) the tithe went out by. */
  transferRef: string;
  amount: bigint;
  currency: string;
  idempotencyKey: string;
}

/** Starting a hosted "save a card" page (Stripe Checkout in setup mode) for a customer we already have. */
export interface SetupRequest {
  /** Our payment_method_setups id: in the provider's metadata, and behind the idempotency key. */
  setupId: string;
  tenantId: string;
  customerId: string;
  currency: string;
  idempotencyKey: string;
  successUrl: string;
  cancelUrl: string;
}

export interface SetupStart {
  /** cs_… */
  providerRef: string;
  redirectUrl: string;
  expiresAt: Date | null;
}

/** Display metadata of a saved card, as the provider reports it: never card data. */
export interface SavedCard {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

export interface SetupOutcome {
  /** succeeded: a method is saved; pending: the buyer has not finished; failed: expired or refused. */
  status: 'succeeded' | 'pending' | 'failed';
  setupIntentId?: string;
  paymentMethodId?: string;
  customerId?: string;
  /** Our setup id from the provider's metadata. */
  setupId?: string;
  card: SavedCard | null;
}

/** Saving a method for later off-session charges. Providers without a vault we use do not have this. */
export interface SavedMethods {
  startSetup(req: SetupRequest): Promise<SetupStart>;
  /** What became of a setup: by hosted session (return URL) or by SetupIntent (webhooks). Read-only. */
  readSetup(ref: { sessionId: string } | { setupIntentId: string }): Promise<SetupOutcome>;
  /** Detach the method from the customer so it can never be charged again; already detached is success. */
  detach(req: { paymentMethodId: string; customerId: string; idempotencyKey: string }): Promise<void>;
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
      /** Tithe the provider routed with the capture (PayPal platform fee), so it is settled at capture. */
      titheRouted?: bigint;
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
      /** Platform fee the payee gave back with the refund (PayPal). */
      titheReturned?: bigint;
    }
  | { kind: 'dispute_created'; providerChargeId: string; disputeId: string; amount: bigint; currency: string }
  /** A saved-method setup finished (Stripe: checkout.session.completed in setup mode, setup_intent.succeeded). */
  | { kind: 'setup_completed'; setupIntentId: string; setupId?: string; providerRef?: string }
  /** A method was detached at the provider (dashboard, or our own removal echoing back). */
  | { kind: 'method_detached'; paymentMethodId: string }
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
  /** Take tithe back from a transfer already sent (Stripe); absent where settlements cannot be reversed. */
  recoverTithe?(req: TitheRecoveryRequest): Promise<{ providerRef: string; amount: bigint }>;
  /** Saved methods for autopay; absent where we do not vault (PayPal). */
  readonly savedMethods?: SavedMethods;
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

/** The provider refused to take the platform fee back with a refund (not enabled, or more than is left). */
export class TitheFeeRefused extends PaymentProviderError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, false, options);
  }
}

/** bigint minor units → the provider's integer amount; refuses amounts a JS number cannot hold exactly. */
export function toSafeInteger(amount: bigint): number {
  if (amount < 0n || amount > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`amount ${amount} out of range for the provider`);
  return Number(amount);
}
