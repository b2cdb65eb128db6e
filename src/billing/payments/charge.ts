// Collecting an invoice: off-session autopay (chargeInvoice), hosted checkout (startCheckout) and capture
// after buyer approval (capturePayment). The payment row and its idempotency key are committed BEFORE the
// provider call, so a crash or a double click re-sends the same key and the provider charges once.
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { inTransaction } from '../../db/client.ts';
import { paymentCustomers, payments } from '../../db/schema/payments.ts';
import { platformFeeFor } from '../tithe/netting.ts';
import { PaymentError, type PaymentsDeps } from './deps.ts';
import { assertPayable, loadInvoice, type PayableInvoice } from './invoice-link.ts';
import type { ChargeResult, ProviderName, SavedCard } from './provider.ts';
import { applyCapture, applyFailure, lockPayment, type Payment } from './record.ts';

export interface ChargeOutcome {
  payment: Payment;
  /** captured: this attempt paid (recorded now or by an earlier webhook); already_paid: paid before we called. */
  outcome: 'captured' | 'already_paid' | 'failed' | 'pending';
}

function providerFor(d: PaymentsDeps, inv: PayableInvoice): ProviderName {
  const name = inv.tenantProvider;
  if (!d.providers.has(name)) throw new PaymentError('ProviderNotConfigured', `tenant of invoice ${inv.number ?? inv.id} pays by ${name}, which is not configured`);
  return name;
}

/**
 * Reuse the open attempt (same key → same charge) or open the next one; races resolve on the unique index.
 * Checked again here, not only before: a concurrent click may have captured between the caller's check
 * and this transaction, and opening a new attempt then would charge twice.
 */
async function openAttempt(
  d: PaymentsDeps,
  inv: PayableInvoice,
  provider: ProviderName,
  method: 'checkout' | 'off_session',
): Promise<{ paid: Payment } | { open: Payment }> {
  return inTransaction(d.db, async (tx) => {
    const paid = await alreadyPaid(tx, inv.id);
    if (paid) return { paid };
    const open = await openOrReuse(tx, inv, provider, method, d);
    return { open };
  });
}

async function openOrReuse(tx: Db, inv: PayableInvoice, provider: ProviderName, method: 'checkout' | 'off_session', d: PaymentsDeps): Promise<Payment> {
  const [last] = await tx
    .select()
    .from(payments)
    .where(and(eq(payments.invoiceId, inv.id), eq(payments.method, method)))
    .orderBy(desc(payments.attempt))
    .limit(1);
  // A succeeded one seen here was captured after the check above: its key replays the same charge.
  if (last && (last.status === 'pending' || last.status === 'succeeded')) return last;
  const attempt = (last?.attempt ?? 0) + 1;
  const key = method === 'off_session' ? `inv_${inv.id}_attempt_${attempt}` : `inv_${inv.id}_checkout_${attempt}`;
  const [row] = await tx
    .insert(payments)
    .values({ invoiceId: inv.id, tenantId: inv.tenantId, provider, method, attempt, amount: inv.total, currency: inv.currency, idempotencyKey: key, createdAt: d.clock.now() })
    .onConflictDoNothing()
    .returning();
  if (row) return row;
  const [other] = await tx.select().from(payments).where(eq(payments.idempotencyKey, key));
  return other;
}

async function alreadyPaid(db: Db, invoiceId: string): Promise<Payment | undefined> {
  const [p] = await db.select().from(payments).where(and(eq(payments.invoiceId, invoiceId), eq(payments.status, 'succeeded')));
  return p;
}

/** Record what the provider answered, in one transaction, exactly as a webhook would. */
export async function recordResult(d: PaymentsDeps, paymentId: string, r: ChargeResult): Promise<ChargeOutcome> {
  return inTransaction(d.db, async (tx) => {
    const p = await lockPayment(tx, eq(payments.id, paymentId));
    if (!p) throw new PaymentError('NotFound', `payment ${paymentId} not found`);
    if (r.providerPaymentId && !p.providerPaymentId) {
      await tx.update(payments).set({ providerPaymentId: r.providerPaymentId }).where(eq(payments.id, p.id));
      p.providerPaymentId = r.providerPaymentId;
    }
    if (r.status === 'succeeded' && r.providerChargeId) {
      // Recorded here or already by the webhook that beat the API answer: either way this attempt paid.
      await applyCapture(d, tx, p, { providerChargeId: r.providerChargeId, amount: r.amount, currency: r.currency, providerIntentId: r.providerPaymentId.startsWith('pi_') ? r.providerPaymentId : undefined, titheRouted: r.titheRouted });
      const [fresh] = await tx.select().from(payments).where(eq(payments.id, p.id));
      return { payment: fresh, outcome: 'captured' };
    }
    if (r.status === 'failed') {
      await applyFailure(d, tx, p, r.failureReason ?? 'declined');
      const [fresh] = await tx.select().from(payments).where(eq(payments.id, p.id));
      return { payment: fresh, outcome: fresh.status === 'succeeded' ? 'captured' : 'failed' };
    }
    return { payment: p, outcome: 'pending' };
  });
}

/** Autopay: charge the tenant's saved method without them present. */
export async function chargeInvoice(d: PaymentsDeps, input: { invoiceId: string }): Promise<ChargeOutcome> {
  const inv = await loadInvoice(d.db, input.invoiceId);
  const paid = await alreadyPaid(d.db, inv.id);
  if (paid) return { payment: paid, outcome: 'already_paid' };
  assertPayable(inv);
  const provider = providerFor(d, inv);
  const [cust] = await d.db
    .select()
    .from(paymentCustomers)
    .where(and(eq(paymentCustomers.tenantId, inv.tenantId), eq(paymentCustomers.provider, provider)));
  if (!cust?.defaultPaymentMethod) throw new PaymentError('NoPaymentMethod', `tenant ${inv.tenantId} has no saved ${provider} payment method for autopay`);
  const attempt = await openAttempt(d, inv, provider, 'off_session');
  if ('paid' in attempt) return { payment: attempt.paid, outcome: 'already_paid' };
  const p = attempt.open;
  // The method is fixed per attempt: resuming a pending one (a crash mid-call) re-sends exactly the request
  // its key was first used with, even if the tenant has saved another card since.
  const paymentMethodId = await pinPaymentMethod(d, p, cust.defaultPaymentMethod);
  const impl = d.providers.get(provider);
  const result = await impl.chargeOffSession({
    paymentId: p.id,
    invoiceId: inv.id,
    tenantId: inv.tenantId,
    amount: p.amount,
    currency: p.currency,
    customerId: cust.customerId,
    paymentMethodId,
    idempotencyKey: p.idempotencyKey,
    titheAtCapture: impl.tithesAtCapture ? await platformFeeFor(d, p) : undefined,
  });
  return recordResult(d, p.id, result);
}

async function pinPaymentMethod(d: PaymentsDeps, p: Payment, current: string): Promise<string> {
  if (p.paymentMethod) return p.paymentMethod;
  const [set] = await d.db
    .update(payments)
    .set({ paymentMethod: current })
    .where(and(eq(payments.id, p.id), isNull(payments.paymentMethod)))
    .returning({ paymentMethod: payments.paymentMethod });
  if (set?.paymentMethod) return set.paymentMethod;
  const [other] = await d.db.select({ paymentMethod: payments.paymentMethod }).from(payments).where(eq(payments.id, p.id));
  return other?.paymentMethod ?? current;
}

/** Hosted payment page: Stripe Checkout or PayPal approval. A second click returns the same page. */
export async function startCheckout(d: PaymentsDeps, input: { invoiceId: string }): Promise<{ payment: Payment; redirectUrl: string }> {
  const inv = await loadInvoice(d.db, input.invoiceId);
  assertPayable(inv);
  if (await alreadyPaid(d.db, inv.id)) throw new PaymentError('NotPayable', `invoice ${inv.number ?? inv.id} is already paid`);
  const provider = providerFor(d, inv);
  const attempt = await openAttempt(d, inv, provider, 'checkout');
  if ('paid' in attempt) throw new PaymentError('NotPayable', `invoice ${inv.number ?? inv.id} is already paid`);
  const p = attempt.open;
  if (p.redirectUrl) return { payment: p, redirectUrl: p.redirectUrl };
  const impl = d.providers.get(provider);
  const [cust] = await d.db.select().from(paymentCustomers).where(and(eq(paymentCustomers.tenantId, inv.tenantId), eq(paymentCustomers.provider, provider)));
  const base = d.payments.publicUrl.replace(/\/$/, '');
  const res = await impl.createCheckout({
    paymentId: p.id,
    invoiceId: inv.id,
    invoiceNumber: inv.number,
    tenantId: inv.tenantId,
    amount: p.amount,
    currency: p.currency,
    description: `Invoice ${inv.number ?? inv.id}`,
    customerId: cust?.customerId ?? null,
    idempotencyKey: p.idempotencyKey,
    successUrl: `${base}/pay/${provider}/return?payment=${p.id}`,
    cancelUrl: `${base}/portal/invoices/${inv.id}`,
    titheAtCapture: impl.tithesAtCapture ? await platformFeeFor(d, p) : undefined,
  });
  const [row] = await d.db
    .update(payments)
    .set({ providerPaymentId: res.providerPaymentId, redirectUrl: res.redirectUrl, updatedAt: d.clock.now() })
    .where(eq(payments.id, p.id))
    .returning();
  return { payment: row, redirectUrl: res.redirectUrl };
}

/**
 * After the buyer approved (PayPal return URL or CHECKOUT.ORDER.APPROVED); Stripe: re-read the outcome.
 * `tenantId` (the caller's tenant, when a person triggers it) and `provider` must match the payment, or it
 * is NotFound, so a payment id from another tenant's URL neither captures nor reveals anything.
 */
export async function capturePayment(d: PaymentsDeps, input: { paymentId: string; tenantId?: string; provider?: ProviderName }): Promise<ChargeOutcome> {
  const [p] = await d.db.select().from(payments).where(eq(payments.id, input.paymentId));
  const foreign = p && ((input.tenantId !== undefined && p.tenantId !== input.tenantId) || (input.provider !== undefined && p.provider !== input.provider));
  if (!p || foreign) throw new PaymentError('NotFound', `payment ${input.paymentId} not found`);
  if (p.status === 'succeeded') return { payment: p, outcome: 'already_paid' };
  if (!p.providerPaymentId) throw new PaymentError('NotPayable', `payment ${p.id} has no provider order yet`);
  const result = await d.providers.get(p.provider as ProviderName).capture({ providerPaymentId: p.providerPaymentId, idempotencyKey: `cap_${p.id}` });
  return recordResult(d, p.id, result);
}

/**
 * Save the tenant's provider customer and (optionally) the method autopay charges, directly (operators'
 * tooling and tests). People save cards through methods/start-setup.ts; `card` is the display metadata.
 */
export async function savePaymentMethod(
  d: PaymentsDeps,
  input: { tenantId: string; provider: ProviderName; customerId: string; paymentMethodId: string | null; autopay: boolean; card?: SavedCard },
): Promise<void> {
  const now = d.clock.now();
  const values = {
    customerId: input.customerId,
    defaultPaymentMethod: input.paymentMethodId,
    autopay: input.autopay,
    // Never the metadata of a previous method: unknown is shown as "a saved payment method".
    cardBrand: input.card?.brand ?? null,
    cardLast4: input.card?.last4 ?? null,
    cardExpMonth: input.card?.expMonth ?? null,
    cardExpYear: input.card?.expYear ?? null,
    updatedAt: now,
  };
  await d.db
    .insert(paymentCustomers)
    .values({ tenantId: input.tenantId, provider: input.provider, ...values, createdAt: now })
    .onConflictDoUpdate({ target: [paymentCustomers.tenantId, paymentCustomers.provider], set: values });
}
