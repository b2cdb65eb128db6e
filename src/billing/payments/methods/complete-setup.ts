// A setup finished at the provider: save its method (and the card's display metadata) as the tenant's
// autopay method. Reached by the verified webhook and by the person's return to the success URL, whichever
// is first; the setup row, locked and marked completed, makes the second a no-op. A replaced method is
// detached at the provider after commit, so it can never be charged again.
import { eq } from 'drizzle-orm';
import type { Db } from '../../../db/client.ts';
import { inTransaction } from '../../../db/client.ts';
import { paymentCustomers, paymentMethodSetups } from '../../../db/schema/payments.ts';
import { PaymentError, type PaymentsDeps } from '../deps.ts';
import type { ProviderName, SetupOutcome } from '../provider.ts';
import { auditMethod, customerRow, type MethodActor } from './common.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type SetupApplied =
  | { outcome: 'saved'; tenantId: string; replaced?: { paymentMethodId: string; customerId: string } }
  | { outcome: 'already' | 'pending' | 'failed' | 'unknown_setup' | 'customer_mismatch' };

/** Apply a setup's outcome inside the caller's transaction (the webhook's, with its event id). */
export async function applySetupOutcome(
  d: Pick<PaymentsDeps, 'clock' | 'log'>,
  tx: Db,
  provider: ProviderName,
  ref: { setupId?: string; providerRef?: string },
  out: SetupOutcome,
  who: MethodActor,
): Promise<SetupApplied> {
  const setupId = ref.setupId ?? out.setupId;
  const where =
    setupId && UUID_RE.test(setupId) ? eq(paymentMethodSetups.id, setupId) : ref.providerRef ? eq(paymentMethodSetups.providerRef, ref.providerRef) : undefined;
  const [setup] = where ? await tx.select().from(paymentMethodSetups).where(where).for('update') : [];
  // Setups we did not start (another integration on the same Stripe account) are not ours to save.
  if (!setup || setup.provider !== provider) return { outcome: 'unknown_setup' };
  if (setup.status === 'completed') return { outcome: 'already' };
  if (out.status !== 'succeeded' || !out.paymentMethodId) return { outcome: out.status === 'failed' ? 'failed' : 'pending' };
  if (out.customerId && out.customerId !== setup.customerId) {
    d.log.warn({ setupId: setup.id, expected: setup.customerId, got: out.customerId }, 'setup completed for another customer: not saved');
    return { outcome: 'customer_mismatch' };
  }
  const now = d.clock.now();
  await tx.update(paymentMethodSetups).set({ status: 'completed', paymentMethod: out.paymentMethodId, completedAt: now }).where(eq(paymentMethodSetups.id, setup.id));
  const before = await customerRow(tx, setup.tenantId, provider, true);
  const autopay = (before?.autopay ?? false) || setup.autopay;
  const card = out.card;
  const values = {
    customerId: setup.customerId,
    defaultPaymentMethod: out.paymentMethodId,
    cardBrand: card?.brand ?? null,
    cardLast4: card?.last4 ?? null,
    cardExpMonth: card?.expMonth ?? null,
    cardExpYear: card?.expYear ?? null,
    autopay,
    updatedAt: now,
  };
  await tx
    .insert(paymentCustomers)
    .values({ tenantId: setup.tenantId, provider, ...values, createdAt: now })
    .onConflictDoUpdate({ target: [paymentCustomers.tenantId, paymentCustomers.provider], set: values });
  const label = card ? `${card.brand} ending ${card.last4}` : 'saved payment method';
  const previous = before?.defaultPaymentMethod;
  await auditMethod(d, tx, who, {
    action: 'payment_method.save',
    tenantId: setup.tenantId,
    target: label,
    detail: { provider, setupId: setup.id, startedBy: setup.startedBy, replacedPrevious: !!previous && previous !== out.paymentMethodId, expires: card ? `${card.expMonth}/${card.expYear}` : null },
  });
  if (autopay && !before?.autopay) await auditMethod(d, tx, who, { action: 'autopay.enable', tenantId: setup.tenantId, target: label, detail: { setupId: setup.id } });
  d.log.info({ tenantId: setup.tenantId, setupId: setup.id, provider }, 'payment method saved');
  const replaced = previous && previous !== out.paymentMethodId && before ? { paymentMethodId: previous, customerId: before.customerId } : undefined;
  return { outcome: 'saved', tenantId: setup.tenantId, replaced };
}

/** After commit: the replaced method leaves the customer at the provider. Failing here only leaves it unused. */
export async function detachReplaced(d: PaymentsDeps, provider: ProviderName, r: SetupApplied): Promise<void> {
  if (r.outcome !== 'saved' || !r.replaced) return;
  try {
    await d.providers.get(provider).savedMethods?.detach({ ...r.replaced, idempotencyKey: `detach_${r.tenantId}_${r.replaced.paymentMethodId}` });
  } catch (err) {
    d.log.warn({ tenantId: r.tenantId, err }, 'replaced payment method could not be detached at the provider; it is no longer used');
  }
}

/**
 * The person is back on the success URL: ask the provider how the setup went and save it if done. The setup
 * must be this tenant's (NotFound otherwise, before the provider is asked anything).
 */
export async function finishSetupOnReturn(
  d: PaymentsDeps,
  input: { tenantId: string; setupId: string; who: MethodActor },
): Promise<SetupApplied['outcome']> {
  const [setup] = UUID_RE.test(input.setupId) ? await d.db.select().from(paymentMethodSetups).where(eq(paymentMethodSetups.id, input.setupId)) : [];
  if (!setup || setup.tenantId !== input.tenantId) throw new PaymentError('NotFound', `setup ${input.setupId} not found`);
  if (setup.status === 'completed') return 'already';
  if (!setup.providerRef) return 'failed';
  const provider = setup.provider as ProviderName;
  const methods = d.providers.has(provider) ? d.providers.get(provider).savedMethods : undefined;
  if (!methods) throw new PaymentError('ProviderNotConfigured', `${provider} is not configured for saved methods`);
  const out = await methods.readSetup({ sessionId: setup.providerRef });
  const applied = await inTransaction(d.db, (tx) => applySetupOutcome(d, tx, provider, { setupId: setup.id }, out, input.who));
  await detachReplaced(d, provider, applied);
  return applied.outcome;
}
