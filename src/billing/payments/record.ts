// Effects of provider outcomes, shared by direct call results and webhooks. Each runs inside the caller's
// transaction with the payment row locked, and is idempotent: a capture, failure or reversal seen twice
// (API answer + webhook, or a replay) changes nothing the second time.
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { dunningEvents, dunningStates, paymentReversals, payments, titheSettlements } from '../../db/schema/payments.ts';
import { titheRecoveries } from '../../db/schema/tithe.ts';
import { postCapture, postReversal, postTitheRecovery, postTitheSettlement } from '../ledger/payment-entries.ts';
import { splitTithe, titheReversal } from '../ledger/split.ts';
import { lockTithe, splitAgainstPayable, unsettledTithe } from '../ledger/tithe-position.ts';
import { trackStripeClaim } from '../tithe/claims.ts';
import { netReceivable } from '../tithe/netting.ts';
import { PaymentError, type PaymentsDeps } from './deps.ts';
import { markPaid } from '../invoices/mark-paid.ts';
import { BillingError } from '../errors.ts';
import type { ProviderName } from './provider.ts';

export type Payment = typeof payments.$inferSelect;
type Deps = Pick<PaymentsDeps, 'clock' | 'log' | 'payments'>;

export async function lockPayment(tx: Db, where: ReturnType<typeof eq>): Promise<Payment | undefined> {
  const [p] = await tx.select().from(payments).where(where).for('update');
  return p;
}

export interface CaptureFacts {
  providerChargeId: string;
  amount: bigint;
  currency: string;
  providerPaymentId?: string;
  providerIntentId?: string;
  /** Tithe the provider routed at capture (PayPal platform fee). */
  titheRouted?: bigint;
}

/** 'captured' the first time; 'already' when this payment was already recorded as succeeded. */
export async function applyCapture(d: Deps, tx: Db, p: Payment, f: CaptureFacts): Promise<'captured' | 'already'> {
  if (p.status === 'succeeded') {
    // The capture was recorded first by a report that did not carry the platform fee (or the other way round).
    if (f.titheRouted !== undefined && f.titheRouted > 0n) await recordRoutedTithe(tx, p, f.titheRouted, f.providerChargeId, d.clock.now());
    return 'already';
  }
  if (f.amount !== p.amount || f.currency !== p.currency) {
    throw new PaymentError('AmountMismatch', `payment ${p.id}: provider captured ${f.amount} ${f.currency}, we asked for ${p.amount} ${p.currency}`);
  }
  const at = d.clock.now();
  const bps = d.payments.titheBps;
  const { tithe } = splitTithe(p.amount, bps);
  await tx
    .update(payments)
    .set({
      status: 'succeeded',
      providerChargeId: f.providerChargeId,
      providerPaymentId: p.providerPaymentId ?? f.providerPaymentId ?? null,
      providerIntentId: f.providerIntentId ?? p.providerIntentId,
      titheBps: bps,
      titheAmount: tithe,
      capturedAt: at,
      updatedAt: at,
      failureReason: null,
    })
    .where(eq(payments.id, p.id));
  const provider = p.provider as ProviderName;
  await postCapture(tx, { paymentId: p.id, tenantId: p.tenantId, invoiceId: p.invoiceId, provider, amount: p.amount, tithe, currency: p.currency, at });
  if (f.titheRouted !== undefined && f.titheRouted > 0n) await recordRoutedTithe(tx, p, f.titheRouted, f.providerChargeId, at);
  if (provider === 'paypal' && d.payments.paypal?.titheMode === 'platform_fees') await netAtCapture(d, tx, p);
  await markInvoicePaid(d, tx, p, at, `${p.provider}:${f.providerChargeId}`);
  await resolveDunning(tx, p, at);
  d.log.info({ paymentId: p.id, invoiceId: p.invoiceId, amount: String(p.amount), currency: p.currency, tithe: String(tithe) }, 'payment captured');
  return 'captured';
}

/**
 * PayPal already sent the platform fee to the payee: the settlement happened with the capture. Recorded once
 * (the key is per payment), from the API answer or the capture webhook, whichever carries it first.
 */
async function recordRoutedTithe(tx: Db, p: Payment, routed: bigint, captureId: string, at: Date): Promise<void> {
  const provider = p.provider as ProviderName;
  await lockTithe(tx, provider, p.currency);
  const [s] = await tx
    .insert(titheSettlements)
    .values({
      provider,
      method: 'paypal_platform_fee',
      paymentId: p.id,
      amount: routed,
      currency: p.currency,
      idempotencyKey: `tithe_fee_${p.id}`,
      status: 'sent',
      providerRef: captureId,
      attempts: 1,
      createdAt: at,
      sentAt: at,
    })
    .onConflictDoNothing()
    .returning({ id: titheSettlements.id });
  if (!s) return;
  // A fee larger than what is payable (the rate changed between order and capture) is owed back.
  const { fromPayable } = splitAgainstPayable(routed, await unsettledTithe(tx, p));
  await postTitheSettlement(tx, { settlementId: s.id, provider, amount: routed, currency: p.currency, at, paymentId: p.id, providerRef: captureId, fromPayable });
}

/**
 * PayPal platform fees: the order's fee was lowered by what upstream owed back (platformFeeFor); the tithe
 * left payable by that is netted now, against the same receivable.
 */
async function netAtCapture(d: Deps, tx: Db, p: Payment): Promise<void> {
  await lockTithe(tx, 'paypal', p.currency);
  const due = await unsettledTithe(tx, p);
  if (due > 0n) await netReceivable(d, tx, { provider: 'paypal', currency: p.currency, due, paymentId: p.id, why: 'tithe owed back by upstream netted off a platform fee' });
}

/**
 * The billing core's markPaid, in this payment's transaction. An invoice that is no longer payable (paid by
 * another attempt, or void) is refused before any write, so the capture is still recorded and the
 * transaction stays usable; the money then needs a person.
 */
async function markInvoicePaid(d: Deps, tx: Db, p: Payment, at: Date, paymentRef: string): Promise<void> {
  try {
    await markPaid({ db: tx, clock: d.clock }, { invoiceId: p.invoiceId, paidAt: at, paymentRef });
  } catch (err) {
    if (!(err instanceof BillingError && err.code === 'InvalidTransition')) throw err;
    d.log.warn({ paymentId: p.id, invoiceId: p.invoiceId }, `payment captured but the invoice was not payable (${err.message}): refund it by hand if needed`);
  }
}

async function resolveDunning(tx: Db, p: Payment, at: Date): Promise<void> {
  const [st] = await tx.select().from(dunningStates).where(eq(dunningStates.invoiceId, p.invoiceId));
  if (!st || st.resolvedAt) return;
  await tx.update(dunningStates).set({ resolvedAt: at, nextRetryAt: null }).where(eq(dunningStates.invoiceId, p.invoiceId));
  await tx
    .insert(dunningEvents)
    .values({ tenantId: p.tenantId, invoiceId: p.invoiceId, at, kind: 'paid', message: `Payment of the overdue invoice received (${p.provider}).`, dedupeKey: `paid:${p.invoiceId}` })
    .onConflictDoNothing();
}

/** A failure after success is stale (out of order): ignored and logged. */
export async function applyFailure(d: Deps, tx: Db, p: Payment, reason: string): Promise<'failed' | 'ignored'> {
  if (p.status !== 'pending') {
    d.log.info({ paymentId: p.id, status: p.status }, `payment failure ignored: payment is already ${p.status}`);
    return 'ignored';
  }
  const at = d.clock.now();
  await tx.update(payments).set({ status: 'failed', failureReason: reason.slice(0, 500), updatedAt: at }).where(eq(payments.id, p.id));
  d.log.info({ paymentId: p.id, reason }, 'payment failed');
  return 'failed';
}

type Reversal = typeof paymentReversals.$inferSelect;

/** What the provider said about a reversal as it reported it. */
interface ReversalFacts {
  /** The provider's refund id, when known. */
  providerRef?: string | null;
  /** Platform fee the payee gave back with this refund (PayPal's seller_payable_breakdown.platform_fees). */
  titheReturned?: bigint;
}

/**
 * Apply a reversal row: payment totals, proportional tithe reversal, ledger entry. The tithe reversed comes
 * off the payable while it is still there; the part already sent upstream is claimed back (receivable), and
 * recovered at once when PayPal took the platform fee back with the refund.
 */
async function applyReversalRow(d: Deps, tx: Db, p: Payment, r: Reversal, facts: ReversalFacts = {}): Promise<void> {
  if (p.status !== 'succeeded' || p.titheAmount === null) {
    throw new PaymentError('OutOfOrder', `payment ${p.id} is ${p.status}: a ${r.kind} cannot be applied before the capture`);
  }
  const before = p.refundedAmount + p.disputedAmount;
  const titheBack = titheReversal({ paid: p.amount, tithe: p.titheAmount, reversedBefore: before, amount: r.amount });
  const at = d.clock.now();
  await tx.update(paymentReversals).set({ status: 'applied', titheReversed: titheBack }).where(eq(paymentReversals.id, r.id));
  const col = r.kind === 'refund' ? { refundedAmount: p.refundedAmount + r.amount } : { disputedAmount: p.disputedAmount + r.amount };
  await tx.update(payments).set({ ...col, updatedAt: at }).where(eq(payments.id, p.id));
  Object.assign(p, col);
  const provider = p.provider as ProviderName;
  await lockTithe(tx, provider, p.currency);
  const { claim } = splitAgainstPayable(titheBack, await unsettledTithe(tx, p));
  await postReversal(tx, {
    reversalId: r.id,
    kind: r.kind as 'refund' | 'chargeback',
    paymentId: p.id,
    tenantId: p.tenantId,
    provider,
    amount: r.amount,
    titheReversed: titheBack,
    titheClaimed: claim,
    currency: p.currency,
    at,
  });
  if (provider === 'stripe') await trackStripeClaim(tx, p, claim, at);
  else if (r.kind === 'refund') await recordFeeReturned(tx, p, r, claim, facts, at);
  d.log.info({ paymentId: p.id, kind: r.kind, amount: String(r.amount), titheReversed: String(titheBack), titheClaimed: String(claim) }, `${r.kind} recorded`);
}

/**
 * A PayPal refund that carried `payment_instruction.platform_fees` took that fee back from the payee: the
 * recovery row reserved with the request is settled now. A refund made elsewhere (dashboard) that reports a
 * returned fee is recorded the same way. Beyond this reversal's claim, the money is owed upstream again.
 */
async function recordFeeReturned(tx: Db, p: Payment, r: Reversal, claim: bigint, facts: ReversalFacts, at: Date): Promise<void> {
  const provider = p.provider as ProviderName;
  let [rec] = await tx
    .select()
    .from(titheRecoveries)
    .where(and(eq(titheRecoveries.reversalId, r.id), eq(titheRecoveries.status, 'pending')))
    .for('update');
  const ref = facts.providerRef ?? r.providerRef ?? r.idempotencyKey;
  if (rec) {
    [rec] = await tx
      .update(titheRecoveries)
      .set({ status: 'recovered', providerRef: ref, attempts: rec.attempts + 1, recoveredAt: at })
      .where(eq(titheRecoveries.id, rec.id))
      .returning();
  } else {
    if (!facts.titheReturned || facts.titheReturned <= 0n) return;
    [rec] = await tx
      .insert(titheRecoveries)
      .values({ provider, method: 'paypal_fee_refund', paymentId: p.id, reversalId: r.id, amount: facts.titheReturned, currency: p.currency, idempotencyKey: `tithe_fee_refund_${r.id}`, status: 'recovered', providerRef: ref, attempts: 1, createdAt: at, recoveredAt: at })
      .onConflictDoNothing()
      .returning();
    if (!rec) return;
  }
  const toReceivable = rec.amount < claim ? rec.amount : claim;
  await postTitheRecovery(tx, { recoveryId: rec.id, provider, paymentId: p.id, amount: rec.amount, toReceivable, currency: p.currency, at, providerRef: ref });
}

/** A refund we asked for came back (API answer): apply our reserved row once, remember the provider's id. */
export async function confirmOwnRefund(d: Deps, tx: Db, p: Payment, reversalId: string, providerRef: string): Promise<void> {
  const [r] = await tx.select().from(paymentReversals).where(eq(paymentReversals.id, reversalId)).for('update');
  if (!r) throw new PaymentError('NotFound', `reversal ${reversalId} not found`);
  if (r.status === 'pending') await applyReversalRow(d, tx, p, r, { providerRef });
  if (!r.providerRef) await tx.update(paymentReversals).set({ providerRef }).where(eq(paymentReversals.id, r.id));
}

/**
 * A provider says money went back. Known refund ids are skipped; our own in-flight refunds are applied
 * first (the webhook may beat our API answer); whatever is left is a refund made elsewhere (dashboard).
 * Stripe reports the charge's cumulative refunded total, PayPal one refund with its id.
 */
export async function applyProviderRefund(
  d: Deps,
  tx: Db,
  p: Payment,
  e: { eventId: string; refundId?: string; amount?: bigint; cumulativeRefunded?: bigint; titheReturned?: bigint },
): Promise<'applied' | 'already'> {
  if (e.refundId) {
    const [known] = await tx
      .select()
      .from(paymentReversals)
      .where(and(eq(paymentReversals.kind, 'refund'), eq(paymentReversals.providerRef, e.refundId)));
    if (known && known.status === 'applied') return 'already';
  }
  const pending = await tx
    .select()
    .from(paymentReversals)
    .where(and(eq(paymentReversals.paymentId, p.id), eq(paymentReversals.kind, 'refund'), eq(paymentReversals.status, 'pending')))
    .orderBy(asc(paymentReversals.createdAt), asc(paymentReversals.idempotencyKey))
    .for('update');
  let delta = e.cumulativeRefunded !== undefined ? e.cumulativeRefunded - p.refundedAmount : (e.amount ?? 0n);
  if (delta <= 0n) return 'already';
  let applied = false;
  for (const r of pending) {
    if (r.amount > delta) continue;
    if (e.amount !== undefined && r.amount !== e.amount) continue;
    await applyReversalRow(d, tx, p, r, { providerRef: e.refundId, titheReturned: e.titheReturned });
    if (e.refundId && !r.providerRef) await tx.update(paymentReversals).set({ providerRef: e.refundId }).where(eq(paymentReversals.id, r.id));
    delta -= r.amount;
    applied = true;
    if (delta === 0n || e.amount !== undefined) return 'applied';
  }
  if (delta > 0n) {
    const left = p.amount - p.refundedAmount - p.disputedAmount;
    const amount = delta > left ? left : delta;
    if (amount <= 0n) return applied ? 'applied' : 'already';
    const [r] = await tx
      .insert(paymentReversals)
      .values({
        paymentId: p.id,
        kind: 'refund',
        providerRef: e.refundId ?? null,
        amount,
        currency: p.currency,
        status: 'pending',
        idempotencyKey: `external_${e.eventId}`,
        createdAt: d.clock.now(),
      })
      .onConflictDoNothing()
      .returning();
    if (r) {
      await applyReversalRow(d, tx, p, r, { providerRef: e.refundId, titheReturned: e.titheReturned });
      applied = true;
    }
  }
  return applied ? 'applied' : 'already';
}

export async function applyChargeback(d: Deps, tx: Db, p: Payment, e: { disputeId: string; amount: bigint }): Promise<'applied' | 'already'> {
  const left = p.amount - p.refundedAmount - p.disputedAmount;
  const amount = e.amount > left ? left : e.amount;
  if (amount <= 0n) {
    d.log.warn({ paymentId: p.id, disputeId: e.disputeId }, 'dispute on a fully reversed payment: nothing left to reverse');
    return 'already';
  }
  const [r] = await tx
    .insert(paymentReversals)
    .values({ paymentId: p.id, kind: 'chargeback', providerRef: e.disputeId, amount, currency: p.currency, status: 'pending', idempotencyKey: `dispute_${e.disputeId}`, createdAt: d.clock.now() })
    .onConflictDoNothing()
    .returning();
  if (!r) return 'already';
  await applyReversalRow(d, tx, p, r);
  return 'applied';
}

/** Payments by any provider reference, for events that name a charge, an intent or an order. */
export function byProviderRef(provider: ProviderName, ref: string) {
  return and(
    eq(payments.provider, provider),
    sql`(${payments.providerChargeId} = ${ref} or ${payments.providerPaymentId} = ${ref} or ${payments.providerIntentId} = ${ref})`,
  )!;
}
