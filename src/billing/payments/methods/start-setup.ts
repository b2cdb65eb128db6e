// startMethodSetup: "add / replace card". Creates the provider customer on demand (key customer_<tenant>),
// opens a hosted setup page (Stripe Checkout, mode setup, key setup_<our setup id>) and returns its URL.
// A second click while that page is still valid returns the same page instead of opening another.
import { randomUUID } from 'node:crypto';
import { and, desc, eq, gt, isNotNull } from 'drizzle-orm';
import { paymentCustomers, paymentMethodSetups } from '../../../db/schema/payments.ts';
import type { PaymentsDeps } from '../deps.ts';
import { auditMethod, customerRow, loadMethodTenant, savedMethodsFor, type MethodActor, type MethodTenant } from './common.ts';

/** An open page this close to its expiry is not handed out again: the person needs time to type a card. */
const REUSE_MARGIN_MS = 15 * 60_000;

export async function startMethodSetup(
  d: PaymentsDeps,
  input: { tenantId: string; autopay: boolean; who: MethodActor },
): Promise<{ setupId: string; redirectUrl: string }> {
  const t = await loadMethodTenant(d.db, input.tenantId);
  const { provider, methods } = savedMethodsFor(d, t);
  const customerId = await ensureCustomerRow(d, t, provider);
  const now = d.clock.now();

  const [open] = await d.db
    .select()
    .from(paymentMethodSetups)
    .where(
      and(
        eq(paymentMethodSetups.tenantId, t.id),
        eq(paymentMethodSetups.provider, provider),
        eq(paymentMethodSetups.customerId, customerId),
        eq(paymentMethodSetups.status, 'open'),
        isNotNull(paymentMethodSetups.redirectUrl),
        gt(paymentMethodSetups.expiresAt, new Date(now.getTime() + REUSE_MARGIN_MS)),
      ),
    )
    .orderBy(desc(paymentMethodSetups.createdAt))
    .limit(1);
  if (open?.redirectUrl) {
    // The autopay choice is ours, not the provider's: the latest click decides it.
    if (open.autopay !== input.autopay) await d.db.update(paymentMethodSetups).set({ autopay: input.autopay }).where(eq(paymentMethodSetups.id, open.id));
    return { setupId: open.id, redirectUrl: open.redirectUrl };
  }

  // Recorded before the provider call, so the key (from our id) exists even if we crash mid-call.
  const id = randomUUID();
  const idempotencyKey = `setup_${id}`;
  const [row] = await d.db
    .insert(paymentMethodSetups)
    .values({ id, tenantId: t.id, provider, customerId, idempotencyKey, autopay: input.autopay, startedBy: input.who.label, createdAt: now })
    .returning();
  const base = d.payments.publicUrl.replace(/\/$/, '');
  try {
    const res = await methods.startSetup({
      setupId: row.id,
      tenantId: t.id,
      customerId,
      currency: t.currency,
      idempotencyKey,
      successUrl: `${base}/payment-method/return?setup=${row.id}`,
      cancelUrl: `${base}/payment-method?setup=canceled`,
    });
    await d.db
      .update(paymentMethodSetups)
      .set({ providerRef: res.providerRef, redirectUrl: res.redirectUrl, expiresAt: res.expiresAt })
      .where(eq(paymentMethodSetups.id, row.id));
    await auditMethod(d, d.db, input.who, { action: 'payment_method.setup', tenantId: t.id, target: row.id, detail: { provider, autopay: input.autopay } });
    return { setupId: row.id, redirectUrl: res.redirectUrl };
  } catch (err) {
    await auditMethod(d, d.db, input.who, { action: 'payment_method.setup', tenantId: t.id, result: 'failed', target: row.id, detail: { provider, reason: err instanceof Error ? err.message : String(err) } });
    throw err;
  }
}

/** The tenant's customer at the provider, created there and recorded here the first time it is needed. */
async function ensureCustomerRow(d: PaymentsDeps, t: MethodTenant, provider: 'stripe' | 'paypal'): Promise<string> {
  const existing = await customerRow(d.db, t.id, provider);
  if (existing) return existing.customerId;
  const customerId = await d.providers.get(provider).ensureCustomer({ tenantId: t.id, name: t.company, email: t.billingEmail }, t.providerCustomerRef);
  await d.db
    .insert(paymentCustomers)
    .values({ tenantId: t.id, provider, customerId, autopay: false, createdAt: d.clock.now(), updatedAt: d.clock.now() })
    .onConflictDoNothing();
  // A concurrent first click may have recorded it first; both asked with the same key, so both got one customer.
  return (await customerRow(d.db, t.id, provider))!.customerId;
}
