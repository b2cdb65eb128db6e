// Shared by the saved-method verbs: the tenant as payments see it, whether its provider can save a method
// for autopay, the tenant's customer row, and the audit entry every change writes in its own transaction.
import { and, eq } from 'drizzle-orm';
import type { Db } from '../../../db/client.ts';
import { tenants } from '../../../db/schema/billing.ts';
import { paymentCustomers } from '../../../db/schema/payments.ts';
import { audit, type AuditAction } from '../../../auth/audit.ts';
import { PaymentError, type PaymentsDeps } from '../deps.ts';
import type { ProviderName, SavedMethods } from '../provider.ts';

/** Who made a change: a person (user id, e-mail, address) or the provider (webhook). */
export interface MethodActor {
  userId: string | null;
  label: string;
  ip?: string | null;
}

export interface MethodTenant {
  id: string;
  company: string;
  billingEmail: string;
  currency: string;
  /** stripe | paypal | manual */
  provider: string;
  /** A customer the operator already has at the provider (tenants.provider_customer_ref), reused when set. */
  providerCustomerRef: string | null;
}

export type CustomerRow = typeof paymentCustomers.$inferSelect;

export async function loadMethodTenant(db: Db, tenantId: string): Promise<MethodTenant> {
  const [t] = await db
    .select({
      id: tenants.id,
      company: tenants.company,
      billingEmail: tenants.billingEmail,
      currency: tenants.currency,
      provider: tenants.paymentProvider,
      providerCustomerRef: tenants.providerCustomerRef,
    })
    .from(tenants)
    .where(eq(tenants.id, tenantId));
  if (!t) throw new PaymentError('NotFound', `tenant ${tenantId} not found`);
  return t;
}

/** Why this tenant cannot save a method for autopay, or null when it can. Shown to the tenant as is. */
export function autopayUnavailable(d: Pick<PaymentsDeps, 'providers'>, provider: string): string | null {
  if (provider === 'paypal') {
    return 'Autopay is available with Stripe (card) only. This account pays by PayPal: pay each invoice from its page, or ask the operator to switch the account to card payments.';
  }
  if (provider !== 'stripe') {
    return 'This account pays its invoices by bank transfer or another manual way. Autopay needs card payments through Stripe: ask the operator to switch the account.';
  }
  if (!d.providers.has('stripe') || !d.providers.get('stripe').savedMethods) {
    return 'Card payments are not set up on this service yet, so no card can be saved. Ask the operator.';
  }
  return null;
}

/** The provider's saved-method API for this tenant, or a NotSupported error naming why. */
export function savedMethodsFor(d: PaymentsDeps, t: MethodTenant): { provider: ProviderName; methods: SavedMethods } {
  const why = autopayUnavailable(d, t.provider);
  if (why) throw new PaymentError('NotSupported', why);
  const provider = t.provider as ProviderName;
  return { provider, methods: d.providers.get(provider).savedMethods! };
}

export async function customerRow(db: Db, tenantId: string, provider: string, lock = false): Promise<CustomerRow | undefined> {
  const q = db
    .select()
    .from(paymentCustomers)
    .where(and(eq(paymentCustomers.tenantId, tenantId), eq(paymentCustomers.provider, provider)));
  const [row] = lock ? await q.for('update') : await q;
  return row;
}

export function cardLabel(c: { cardBrand: string | null; cardLast4: string | null }): string {
  return c.cardLast4 ? `${c.cardBrand ?? 'card'} ending ${c.cardLast4}` : 'saved payment method';
}

export async function auditMethod(
  d: Pick<PaymentsDeps, 'clock'>,
  db: Db,
  who: MethodActor,
  e: { action: AuditAction; tenantId: string; result?: 'ok' | 'failed' | 'denied'; target?: string | null; detail?: Record<string, unknown> },
): Promise<void> {
  await audit(
    { db, clock: d.clock },
    { action: e.action, result: e.result ?? 'ok', actorUserId: who.userId, actorLabel: who.label, tenantId: e.tenantId, target: e.target ?? null, ip: who.ip ?? null, detail: e.detail },
  );
}
