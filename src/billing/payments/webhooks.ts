// handleWebhook: verify → record the event id → apply its effect, all in ONE transaction, so each event
// is processed exactly once. Replays are skipped (logged), forged events refused (400), events that
// arrive before what they refer to are deferred (503, not recorded) so the provider delivers them again.
import { eq } from 'drizzle-orm';
import { inTransaction } from '../../db/client.ts';
import { payments, webhookEvents } from '../../db/schema/payments.ts';
import { capturePayment } from './charge.ts';
import { PaymentError, type PaymentsDeps } from './deps.ts';
import { WebhookVerificationError, type PaymentEvent, type ProviderName, type SetupOutcome } from './provider.ts';
import { applySetupOutcome, detachReplaced, type SetupApplied } from './methods/complete-setup.ts';
import { forgetDetachedMethod } from './methods/change.ts';
import { applyCapture, applyChargeback, applyFailure, applyProviderRefund, byProviderRef, lockPayment, type Payment } from './record.ts';
import type { Db } from '../../db/client.ts';

export interface WebhookResult {
  status: 200 | 400 | 500 | 503;
  outcome: string;
}

class Deferred extends Error {}

export async function handleWebhook(
  d: PaymentsDeps,
  provider: ProviderName,
  rawBody: string,
  headers: Record<string, string | undefined>,
): Promise<WebhookResult> {
  let event: PaymentEvent;
  try {
    event = await d.providers.get(provider).verifyWebhook(rawBody, headers);
  } catch (err) {
    if (err instanceof WebhookVerificationError) {
      d.log.warn({ provider, reason: err.message }, 'webhook refused: signature verification failed');
      return { status: 400, outcome: 'forged' };
    }
    d.log.error({ provider, err }, 'webhook verification could not be performed');
    return { status: 503, outcome: 'verification_unavailable' };
  }
  // A finished setup: what was saved is read from the provider before the transaction (a read, safe to
  // repeat). If the provider cannot answer, the event is not recorded, so it is delivered again.
  let setup: SetupOutcome | undefined;
  if (event.kind === 'setup_completed') {
    try {
      const methods = d.providers.get(provider).savedMethods;
      setup = methods ? await methods.readSetup({ setupIntentId: event.setupIntentId }) : { status: 'pending', card: null };
    } catch (err) {
      d.log.warn({ provider, eventId: event.eventId, err }, 'webhook deferred: could not read the setup from the provider');
      return { status: 503, outcome: 'deferred' };
    }
  }
  const toCapture: string[] = [];
  const saved: SetupApplied[] = [];
  try {
    const outcome = await inTransaction(d.db, async (tx) => {
      const [row] = await tx
        .insert(webhookEvents)
        .values({ provider, eventId: event.eventId, type: event.type, receivedAt: d.clock.now() })
        .onConflictDoNothing()
        .returning({ id: webhookEvents.id });
      if (!row) return 'duplicate';
      const out = await apply(d, tx, event, { toCapture, setup, saved });
      await tx.update(webhookEvents).set({ processedAt: d.clock.now(), outcome: out }).where(eq(webhookEvents.id, row.id));
      return out;
    });
    if (outcome === 'duplicate') {
      d.log.info({ provider, eventId: event.eventId, type: event.type }, 'webhook replayed: already processed, skipped');
    } else {
      d.log.info({ provider, eventId: event.eventId, type: event.type, outcome }, 'webhook processed');
    }
    for (const id of toCapture) await captureAfterApproval(d, id);
    for (const r of saved) await detachReplaced(d, provider, r);
    return { status: 200, outcome };
  } catch (err) {
    if (err instanceof Deferred || (err instanceof PaymentError && err.code === 'OutOfOrder')) {
      d.log.info({ provider, eventId: event.eventId, type: event.type, reason: err.message }, 'webhook deferred: refers to something not recorded yet; provider will retry');
      return { status: 503, outcome: 'deferred' };
    }
    d.log.error({ provider, eventId: event.eventId, type: event.type, err }, 'webhook processing failed');
    return { status: 500, outcome: 'error' };
  }
}

async function find(tx: Db, provider: ProviderName, paymentId: string | undefined, refs: Array<string | undefined>): Promise<Payment | undefined> {
  if (paymentId && /^[0-9a-f-]{36}$/i.test(paymentId)) {
    const p = await lockPayment(tx, eq(payments.id, paymentId));
    if (p && p.provider === provider) return p;
  }
  for (const ref of refs) {
    if (!ref) continue;
    const p = await lockPayment(tx, byProviderRef(provider, ref));
    if (p) return p;
  }
  return undefined;
}

interface ApplyScope {
  /** PayPal orders to capture after commit. */
  toCapture: string[];
  /** The setup read from the provider (setup_completed only). */
  setup?: SetupOutcome;
  /** Saved methods, whose replaced predecessor is detached after commit. */
  saved: SetupApplied[];
}

async function apply(d: PaymentsDeps, tx: Db, e: PaymentEvent, scope: ApplyScope): Promise<string> {
  const { toCapture } = scope;
  switch (e.kind) {
    case 'ignored':
      return 'ignored';
    case 'payment_succeeded': {
      const p = await find(tx, e.provider, e.paymentId, [e.providerIntentId, e.providerPaymentId, e.providerChargeId]);
      if (!p) throw new Deferred(`no payment for ${e.providerPaymentId}`);
      return applyCapture(d, tx, p, { providerChargeId: e.providerChargeId, amount: e.amount, currency: e.currency, providerIntentId: e.providerIntentId, titheRouted: e.titheRouted });
    }
    case 'payment_failed': {
      const p = await find(tx, e.provider, e.paymentId, [e.providerPaymentId]);
      if (!p) return 'unknown_payment';
      return applyFailure(d, tx, p, e.reason);
    }
    case 'checkout_completed': {
      const p = await find(tx, e.provider, e.paymentId, [e.providerPaymentId]);
      if (!p) return 'unknown_payment';
      if (e.providerIntentId && !p.providerIntentId) await tx.update(payments).set({ providerIntentId: e.providerIntentId }).where(eq(payments.id, p.id));
      return 'noted';
    }
    case 'order_approved': {
      const p = await find(tx, e.provider, e.paymentId, [e.providerPaymentId]);
      if (!p || p.status !== 'pending') return 'noted';
      toCapture.push(p.id);
      return 'approved';
    }
    case 'refunded': {
      const p = await find(tx, e.provider, undefined, [e.providerChargeId, e.providerIntentId]);
      if (!p) throw new Deferred(`no payment for charge ${e.providerChargeId}`);
      if (p.status !== 'succeeded' && e.capture) {
        // The refund overtook the capture event: the charge it carries is proof of the capture.
        await applyCapture(d, tx, p, { providerChargeId: e.providerChargeId, amount: e.capture.amount, currency: e.currency, providerIntentId: e.capture.providerIntentId });
        Object.assign(p, (await tx.select().from(payments).where(eq(payments.id, p.id)))[0]);
      }
      if (p.status !== 'succeeded') throw new Deferred(`payment ${p.id} not captured yet`);
      return applyProviderRefund(d, tx, p, { eventId: e.eventId, refundId: e.refundId, amount: e.amount, cumulativeRefunded: e.cumulativeRefunded, titheReturned: e.titheReturned });
    }
    case 'setup_completed': {
      const r = await applySetupOutcome(d, tx, e.provider, { setupId: e.setupId, providerRef: e.providerRef }, scope.setup ?? { status: 'pending', card: null }, {
        userId: null,
        label: `${e.provider} webhook`,
      });
      scope.saved.push(r);
      return `setup_${r.outcome}`;
    }
    case 'method_detached':
      return forgetDetachedMethod(d, tx, e.provider, e.paymentMethodId);
    case 'dispute_created': {
      const p = await find(tx, e.provider, undefined, [e.providerChargeId]);
      if (!p || p.status !== 'succeeded') throw new Deferred(`no captured payment for charge ${e.providerChargeId}`);
      return applyChargeback(d, tx, p, { disputeId: e.disputeId, amount: e.amount });
    }
  }
}

/** PayPal approval seen by webhook: capture now (idempotent key cap_<paymentId>); failures leave it for the return URL or a retry. */
async function captureAfterApproval(d: PaymentsDeps, paymentId: string): Promise<void> {
  try {
    await capturePayment(d, { paymentId });
  } catch (err) {
    d.log.warn({ paymentId, err }, 'capture after approval failed; will be retried');
  }
}
