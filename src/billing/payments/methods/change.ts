// Turning autopay on or off, and removing the saved method (detached at the provider first, then cleared
// here with autopay off). Callers check the caller may change this tenant's billing.
import { and, eq } from 'drizzle-orm';
import type { Db } from '../../../db/client.ts';
import { inTransaction } from '../../../db/client.ts';
import { paymentCustomers } from '../../../db/schema/payments.ts';
import { PaymentError, type PaymentsDeps } from '../deps.ts';
import type { ProviderName } from '../provider.ts';
import { auditMethod, autopayUnavailable, cardLabel, customerRow, loadMethodTenant, savedMethodsFor, type MethodActor } from './common.ts';

const CLEARED = { defaultPaymentMethod: null, cardBrand: null, cardLast4: null, cardExpMonth: null, cardExpYear: null, autopay: false } as const;

/** Autopay on needs a saved method; returns whether anything changed (no audit entry when not). */
export async function setAutopay(d: PaymentsDeps, input: { tenantId: string; enabled: boolean; who: MethodActor }): Promise<boolean> {
  const t = await loadMethodTenant(d.db, input.tenantId);
  if (input.enabled) {
    const why = autopayUnavailable(d, t.provider);
    if (why) throw new PaymentError('NotSupported', why);
  }
  return inTransaction(d.db, async (tx) => {
    const row = await customerRow(tx, t.id, t.provider, true);
    if (input.enabled && !row?.defaultPaymentMethod) throw new PaymentError('NoPaymentMethod', 'save a card first: autopay charges the saved card');
    if (!row || row.autopay === input.enabled) return false;
    await tx
      .update(paymentCustomers)
      .set({ autopay: input.enabled, updatedAt: d.clock.now() })
      .where(and(eq(paymentCustomers.tenantId, t.id), eq(paymentCustomers.provider, t.provider)));
    await auditMethod(d, tx, input.who, { action: input.enabled ? 'autopay.enable' : 'autopay.disable', tenantId: t.id, target: cardLabel(row) });
    return true;
  });
}

/** 'removed', or 'none' when nothing was saved. A provider failure changes nothing here and is rethrown. */
export async function removePaymentMethod(d: PaymentsDeps, input: { tenantId: string; who: MethodActor }): Promise<'removed' | 'none'> {
  const t = await loadMethodTenant(d.db, input.tenantId);
  const row = await customerRow(d.db, t.id, t.provider);
  if (!row?.defaultPaymentMethod) return 'none';
  const pm = row.defaultPaymentMethod;
  const { methods } = savedMethodsFor(d, t);
  try {
    await methods.detach({ paymentMethodId: pm, customerId: row.customerId, idempotencyKey: `detach_${t.id}_${pm}` });
  } catch (err) {
    await auditMethod(d, d.db, input.who, { action: 'payment_method.remove', tenantId: t.id, result: 'failed', target: cardLabel(row), detail: { reason: err instanceof Error ? err.message : String(err) } });
    throw err;
  }
  return inTransaction(d.db, async (tx) => {
    const now = await customerRow(tx, t.id, t.provider, true);
    // Replaced meanwhile by a new card: that one stays.
    if (now?.defaultPaymentMethod && now.defaultPaymentMethod !== pm) return 'none';
    // Still saved: clear it. Already cleared: the provider's payment_method.detached webhook overtook our
    // own answer; the person's removal is still what happened, and is audited as theirs.
    if (now?.defaultPaymentMethod === pm) {
      await tx
        .update(paymentCustomers)
        .set({ ...CLEARED, updatedAt: d.clock.now() })
        .where(and(eq(paymentCustomers.tenantId, t.id), eq(paymentCustomers.provider, t.provider)));
    }
    await auditMethod(d, tx, input.who, { action: 'payment_method.remove', tenantId: t.id, target: cardLabel(row), detail: { autopayWasOn: row.autopay } });
    return 'removed';
  });
}

/** The provider reports a method detached (dashboard, or our removal echoing back): stop using it here. */
export async function forgetDetachedMethod(d: Pick<PaymentsDeps, 'clock'>, tx: Db, provider: ProviderName, paymentMethodId: string): Promise<'forgotten' | 'not_saved'> {
  const saved = await tx
    .select()
    .from(paymentCustomers)
    .where(and(eq(paymentCustomers.provider, provider), eq(paymentCustomers.defaultPaymentMethod, paymentMethodId)))
    .for('update');
  for (const r of saved) {
    await tx
      .update(paymentCustomers)
      .set({ ...CLEARED, updatedAt: d.clock.now() })
      .where(and(eq(paymentCustomers.tenantId, r.tenantId), eq(paymentCustomers.provider, provider)));
    await auditMethod(d, tx, { userId: null, label: `${provider} webhook` }, { action: 'payment_method.remove', tenantId: r.tenantId, target: cardLabel(r), detail: { reason: `detached at ${provider}`, autopayWasOn: r.autopay } });
  }
  return saved.length ? 'forgotten' : 'not_saved';
}
