// PayPal webhook event JSON (snake_case, as PayPal posts it) → our typed PaymentEvent.
import { decimalToMinor } from './amounts.ts';
import type { PaymentEvent } from './provider.ts';

interface PayPalMoney {
  currency_code: string;
  value: string;
}
interface PayPalLink {
  href: string;
  rel: string;
}
export interface PayPalWebhookEvent {
  id: string;
  event_type: string;
  resource_type?: string;
  resource: Record<string, unknown>;
}

function money(x: unknown, what: string): { amount: bigint; currency: string } {
  const m = x as PayPalMoney | undefined;
  if (!m || typeof m.currency_code !== 'string' || typeof m.value !== 'string') throw new Error(`PayPal event: ${what} has no amount`);
  return { amount: decimalToMinor(m.value, m.currency_code), currency: m.currency_code };
}

/** Sum of `platform_fees[].amount` in a capture's or refund's breakdown; undefined when it names none. */
function platformFees(breakdown: unknown): bigint | undefined {
  const fees = (breakdown as { platform_fees?: Array<{ amount?: unknown }> } | undefined)?.platform_fees;
  if (!Array.isArray(fees) || !fees.length) return undefined;
  return fees.reduce((t, f) => t + money(f.amount, 'platform fee').amount, 0n);
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' ? x : undefined;
}

/** The capture a refund belongs to: PayPal names it in the refund's `up` link (…/v2/payments/captures/{id}). */
function captureIdFromLinks(links: unknown): string | undefined {
  const list = Array.isArray(links) ? (links as PayPalLink[]) : [];
  for (const l of list) {
    const m = /\/v2\/payments\/captures\/([^/?#]+)$/.exec(l.href ?? '');
    if (l.rel === 'up' && m) return decodeURIComponent(m[1]);
  }
  return undefined;
}

export function paypalEvent(e: PayPalWebhookEvent): PaymentEvent {
  const head = { provider: 'paypal' as const, eventId: e.id, type: e.event_type };
  const r = e.resource ?? {};
  switch (e.event_type) {
    case 'PAYMENT.CAPTURE.COMPLETED': {
      const related = (r.supplementary_data as { related_ids?: { order_id?: string } } | undefined)?.related_ids;
      const { amount, currency } = money(r.amount, 'capture');
      const orderId = related?.order_id;
      if (!orderId || !str(r.id)) return { ...head, kind: 'ignored' };
      return {
        ...head,
        kind: 'payment_succeeded',
        providerPaymentId: orderId,
        providerChargeId: String(r.id),
        amount,
        currency,
        paymentId: str(r.custom_id),
        titheRouted: platformFees(r.seller_receivable_breakdown),
      };
    }
    case 'PAYMENT.CAPTURE.DENIED':
    case 'PAYMENT.CAPTURE.DECLINED': {
      const related = (r.supplementary_data as { related_ids?: { order_id?: string } } | undefined)?.related_ids;
      if (!related?.order_id) return { ...head, kind: 'ignored' };
      return { ...head, kind: 'payment_failed', providerPaymentId: related.order_id, paymentId: str(r.custom_id), reason: e.event_type };
    }
    case 'PAYMENT.CAPTURE.REFUNDED': {
      const captureId = captureIdFromLinks(r.links);
      const { amount, currency } = money(r.amount, 'refund');
      if (!captureId || !str(r.id)) return { ...head, kind: 'ignored' };
      return { ...head, kind: 'refunded', providerChargeId: captureId, refundId: String(r.id), amount, currency, titheReturned: platformFees(r.seller_payable_breakdown) };
    }
    case 'CUSTOMER.DISPUTE.CREATED': {
      const tx = (r.disputed_transactions as Array<{ seller_transaction_id?: string }> | undefined)?.[0];
      const { amount, currency } = money(r.dispute_amount, 'dispute');
      if (!tx?.seller_transaction_id || !str(r.dispute_id)) return { ...head, kind: 'ignored' };
      return { ...head, kind: 'dispute_created', providerChargeId: tx.seller_transaction_id, disputeId: String(r.dispute_id), amount, currency };
    }
    case 'CHECKOUT.ORDER.APPROVED': {
      const pu = (r.purchase_units as Array<{ custom_id?: string }> | undefined)?.[0];
      if (!str(r.id)) return { ...head, kind: 'ignored' };
      return { ...head, kind: 'order_approved', providerPaymentId: String(r.id), paymentId: pu?.custom_id };
    }
    default:
      return { ...head, kind: 'ignored' };
  }
}
