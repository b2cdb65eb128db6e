// PayPal behind PaymentProvider: Orders v2 and Payments v2 through the official server SDK, every
// money-moving call with a PayPal-Request-Id from our ids. Webhooks are verified by PayPal itself
// (POST /v1/notifications/verify-webhook-signature) and payouts use /v1/payments/payouts; the SDK has
// neither, so those two are plain fetches with the SDK's OAuth token.
import {
  ApiError,
  CheckoutPaymentIntent,
  OrderApplicationContextUserAction,
  OrdersController,
  PaymentsController,
  type Client,
  type Order,
  type OrderRequest,
} from '@paypal/paypal-server-sdk';
import type { Clock } from '../../clock.ts';
import { decimalToMinor, minorToDecimal } from './amounts.ts';
import { createPayPalClient } from './paypal-client.ts';
import { paypalEvent, type PayPalWebhookEvent } from './paypal-events.ts';
import {
  PaymentProviderError,
  TitheFeeRefused,
  WebhookVerificationError,
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
  type TitheTransferRequest,
  type TitheTransferResult,
} from './provider.ts';

export interface PayPalSettings {
  clientId: string;
  clientSecret: string;
  apiBase?: URL;
  webhookId?: string;
  /** platform_fees: the tithe is routed at capture (needs a PayPal partner account); payouts: periodic payout. */
  titheMode: 'platform_fees' | 'payouts';
  tithePayee?: string;
  clock: Clock;
}

export class PayPalProvider implements PaymentProvider {
  readonly name = 'paypal' as const;
  readonly tithesAtCapture: boolean;
  private readonly client: Client;
  private readonly origin: string;
  private readonly orders: OrdersController;
  private readonly paymentsApi: PaymentsController;
  private token: { value: string; until: number } | undefined;

  constructor(private readonly s: PayPalSettings) {
    const { client, origin } = createPayPalClient({ clientId: s.clientId, clientSecret: s.clientSecret, apiBase: s.apiBase });
    this.client = client;
    this.origin = origin;
    this.orders = new OrdersController(client);
    this.paymentsApi = new PaymentsController(client);
    this.tithesAtCapture = s.titheMode === 'platform_fees' && !!s.tithePayee;
  }

  /** PayPal has no customer object for one-off orders; the tenant id is our reference. */
  async ensureCustomer(c: CustomerRef, existingId?: string | null): Promise<string> {
    return existingId ?? `tenant_${c.tenantId}`;
  }

  async createCheckout(r: CheckoutRequest): Promise<CheckoutResult> {
    const body: OrderRequest = {
      intent: CheckoutPaymentIntent.Capture,
      purchaseUnits: [
        {
          referenceId: r.invoiceId,
          customId: r.paymentId,
          invoiceId: r.invoiceNumber ?? r.invoiceId,
          description: r.description.slice(0, 127),
          amount: { currencyCode: r.currency, value: minorToDecimal(r.amount, r.currency) },
          ...this.platformFees(r.titheAtCapture, r.currency),
        },
      ],
      applicationContext: { returnUrl: r.successUrl, cancelUrl: r.cancelUrl, userAction: OrderApplicationContextUserAction.PayNow },
    };
    const order = await this.call(() => this.orders.createOrder({ body, paypalRequestId: r.idempotencyKey, prefer: 'return=representation' }));
    const approve = order.links?.find((l) => l.rel === 'approve' || l.rel === 'payer-action');
    if (!order.id || !approve) throw new PaymentProviderError(`PayPal order ${order.id ?? '?'} came back without an approve link`, false);
    return { providerPaymentId: order.id, redirectUrl: approve.href };
  }

  async capture(r: CaptureRequest): Promise<ChargeResult> {
    const order = await this.call(() =>
      this.orders.captureOrder({ id: r.providerPaymentId, paypalRequestId: r.idempotencyKey, prefer: 'return=representation' }),
    );
    return orderResult(order, r.providerPaymentId);
  }

  /** A vaulted PayPal wallet: the order is created with the vault id and captured without the buyer. */
  async chargeOffSession(r: ChargeRequest): Promise<ChargeResult> {
    const body: OrderRequest = {
      intent: CheckoutPaymentIntent.Capture,
      purchaseUnits: [
        {
          referenceId: r.invoiceId,
          customId: r.paymentId,
          invoiceId: r.invoiceId,
          amount: { currencyCode: r.currency, value: minorToDecimal(r.amount, r.currency) },
          ...this.platformFees(r.titheAtCapture, r.currency),
        },
      ],
      paymentSource: { paypal: { vaultId: r.paymentMethodId } },
    };
    const order = await this.call(() => this.orders.createOrder({ body, paypalRequestId: r.idempotencyKey, prefer: 'return=representation' }));
    if (order.status === 'COMPLETED' || !order.id) return orderResult(order, order.id ?? '');
    return this.capture({ providerPaymentId: order.id, idempotencyKey: `${r.idempotencyKey}_capture` });
  }

  /**
   * Refund (part of) a capture. With `titheFee`, the refund also takes that much of the capture's platform
   * fee back from the payee (`payment_instruction.platform_fees`, at most what is left of the fee).
   */
  async refund(r: RefundRequest): Promise<RefundResult> {
    const fee = r.titheFee && r.titheFee > 0n ? r.titheFee : undefined;
    const money = (v: bigint) => ({ currencyCode: r.currency, value: minorToDecimal(v, r.currency) });
    const refund = await this.call(
      () =>
        this.paymentsApi.refundCapturedPayment({
          captureId: r.providerChargeId,
          paypalRequestId: r.idempotencyKey,
          prefer: 'return=representation',
          body: { amount: money(r.amount), ...(fee ? { paymentInstruction: { platformFees: [{ amount: money(fee) }] } } : {}) },
        }),
      fee !== undefined,
    );
    if (!refund.id) throw new PaymentProviderError('PayPal refund came back without an id', false);
    const status = refund.status === 'COMPLETED' ? 'succeeded' : refund.status === 'CANCELLED' || refund.status === 'FAILED' ? 'failed' : 'pending';
    const fees = refund.sellerPayableBreakdown?.platformFees;
    const titheReturned = fees ? fees.reduce((t, f) => t + decimalToMinor(f.amount.value, f.amount.currencyCode), 0n) : undefined;
    return { refundId: refund.id, status, titheReturned };
  }

  /** Periodic payout of the accrued tithe; sender_batch_id (our key) makes PayPal refuse a duplicate batch. */
  async settleTithe(r: TitheTransferRequest): Promise<TitheTransferResult> {
    const payee = this.s.tithePayee;
    if (!payee) throw new PaymentProviderError('TITHE_PAYPAL_PAYEE is not set: cannot pay out the tithe', false);
    const body = {
      sender_batch_header: { sender_batch_id: r.idempotencyKey, email_subject: 'Tithe payout', recipient_type: payee.includes('@') ? 'EMAIL' : 'PAYPAL_ID' },
      items: [{ amount: { value: minorToDecimal(r.amount, r.currency), currency: r.currency }, receiver: payee, sender_item_id: r.group, note: 'tithe' }],
    };
    const res = await this.rawPost('/v1/payments/payouts', JSON.stringify(body), r.idempotencyKey);
    const batch = (res as { batch_header?: { payout_batch_id?: string } }).batch_header?.payout_batch_id;
    if (!batch) throw new PaymentProviderError('PayPal payout came back without a payout_batch_id', true);
    return { providerRef: batch, method: 'paypal_payout' };
  }

  /**
   * PayPal's documented check: send the transmission headers and the event, unchanged, to
   * /v1/notifications/verify-webhook-signature; only verification_status SUCCESS is accepted.
   */
  async verifyWebhook(rawBody: string, headers: Record<string, string | undefined>): Promise<PaymentEvent> {
    if (!this.s.webhookId) throw new WebhookVerificationError('PAYPAL_WEBHOOK_ID is not set: refusing unverifiable webhooks');
    const h = (k: string) => headers[k] ?? headers[k.toLowerCase()];
    const fields = {
      transmission_id: h('paypal-transmission-id'),
      transmission_time: h('paypal-transmission-time'),
      cert_url: h('paypal-cert-url'),
      auth_algo: h('paypal-auth-algo'),
      transmission_sig: h('paypal-transmission-sig'),
    };
    const missing = Object.entries(fields).filter(([, v]) => !v).map(([k]) => k);
    if (missing.length) throw new WebhookVerificationError(`PayPal webhook without ${missing.join(', ')} header(s)`);
    let parsed: PayPalWebhookEvent;
    try {
      parsed = JSON.parse(rawBody) as PayPalWebhookEvent;
    } catch {
      throw new WebhookVerificationError('PayPal webhook body is not JSON');
    }
    // The event goes back byte for byte: re-serialising could change it and fail verification.
    const head = JSON.stringify({ ...fields, webhook_id: this.s.webhookId });
    const body = `${head.slice(0, -1)},"webhook_event":${rawBody}}`;
    const res = (await this.rawPost('/v1/notifications/verify-webhook-signature', body)) as { verification_status?: string };
    if (res.verification_status !== 'SUCCESS') {
      throw new WebhookVerificationError(`PayPal says verification_status=${res.verification_status ?? 'missing'} for transmission ${fields.transmission_id}`);
    }
    if (typeof parsed.id !== 'string' || typeof parsed.event_type !== 'string') throw new WebhookVerificationError('PayPal webhook has no id/event_type');
    return paypalEvent(parsed);
  }

  private platformFees(tithe: bigint | undefined, currency: string) {
    if (!this.tithesAtCapture || !tithe || tithe <= 0n || !this.s.tithePayee) return {};
    const payee = this.s.tithePayee.includes('@') ? { emailAddress: this.s.tithePayee } : { merchantId: this.s.tithePayee };
    return { paymentInstruction: { platformFees: [{ amount: { currencyCode: currency, value: minorToDecimal(tithe, currency) }, payee }] } };
  }

  private async accessToken(): Promise<string> {
    const now = this.s.clock.now().getTime();
    if (this.token && this.token.until > now) return this.token.value;
    const t = await this.client.clientCredentialsAuthManager.fetchToken();
    const ttl = t.expiresIn ? Number(t.expiresIn) * 1000 : 300_000;
    this.token = { value: t.accessToken, until: now + Math.max(0, ttl - 60_000) };
    return t.accessToken;
  }

  private async rawPost(path: string, body: string, requestId?: string): Promise<unknown> {
    const token = await this.accessToken();
    const res = await fetch(new URL(path, this.origin), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(requestId ? { 'paypal-request-id': requestId } : {}),
      },
      body,
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    if (!res.ok) throw new PaymentProviderError(`PayPal ${path}: HTTP ${res.status} ${text.slice(0, 200)}`, res.status >= 500 || res.status === 429);
    return JSON.parse(text) as unknown;
  }

  private async call<T>(fn: () => Promise<{ result: T }>, withPlatformFee = false): Promise<T> {
    try {
      return (await fn()).result;
    } catch (err) {
      if (err instanceof ApiError) {
        const detail = typeof err.body === 'string' ? err.body.slice(0, 200) : '';
        // PayPal's documented refusals of a refund's platform_fees: the refund did not happen at all.
        const feeIssue = withPlatformFee && typeof err.body === 'string' ? /PLATFORM_FEE_(NOT_ENABLED|EXCEEDED)/.exec(err.body)?.[0] : undefined;
        if (feeIssue) throw new TitheFeeRefused(`PayPal refused to take the platform fee back: ${feeIssue}`, { cause: err });
        throw new PaymentProviderError(`PayPal: HTTP ${err.statusCode} ${detail}`, err.statusCode >= 500 || err.statusCode === 429, { cause: err });
      }
      throw new PaymentProviderError(`PayPal: ${err instanceof Error ? err.message : String(err)}`, true, { cause: err });
    }
  }
}

function orderResult(order: Order, fallbackId: string): ChargeResult {
  const unit = order.purchaseUnits?.[0];
  const capture = unit?.payments?.captures?.[0];
  const id = order.id ?? fallbackId;
  const amountObj = capture?.amount ?? unit?.amount;
  const currency = amountObj?.currencyCode ?? '';
  const amount = amountObj ? decimalToMinor(amountObj.value, amountObj.currencyCode) : 0n;
  if (order.status === 'COMPLETED' && capture?.status === 'COMPLETED' && capture.id) {
    const fees = capture.sellerReceivableBreakdown?.platformFees ?? [];
    const routed = fees.reduce((s, f) => s + decimalToMinor(f.amount.value, f.amount.currencyCode), 0n);
    return { status: 'succeeded', providerPaymentId: id, providerChargeId: capture.id, amount, currency, titheRouted: fees.length ? routed : undefined };
  }
  if (capture?.status === 'DECLINED' || capture?.status === 'FAILED' || order.status === 'VOIDED') {
    return { status: 'failed', providerPaymentId: id, providerChargeId: capture?.id, amount, currency, failureReason: `PayPal capture ${capture?.status ?? order.status}` };
  }
  return { status: 'pending', providerPaymentId: id, providerChargeId: capture?.id, amount, currency };
}
