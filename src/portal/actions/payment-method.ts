// Who may see and change a tenant's saved payment method and autopay, shared by the portal pages and the
// JSON API: tenant users see their own tenant's; only an owner changes it; operators see any tenant's, read-only
// (a card is the tenant's to give). Each function checks, then calls one billing verb.
import type { AppContext } from '../../context.ts';
import { assertTenantAccess, isOperator, type Actor } from '../../auth/actor.ts';
import { AuthError } from '../../auth/errors.ts';
import { paymentsDeps } from '../../billing/payments/deps.ts';
import type { MethodActor } from '../../billing/payments/methods/common.ts';
import { getPaymentMethodState, type PaymentMethodState } from '../../billing/payments/methods/state.ts';
import { startMethodSetup } from '../../billing/payments/methods/start-setup.ts';
import { finishSetupOnReturn } from '../../billing/payments/methods/complete-setup.ts';
import { removePaymentMethod, setAutopay } from '../../billing/payments/methods/change.ts';

/** The tenant a request is about: a tenant user's own (another id is NotFound); an operator must name one. */
export function methodTenantOf(actor: Actor, requested?: string | null): string {
  if (isOperator(actor)) {
    if (!requested) throw new AuthError('Validation', 'operators: name the tenant whose payment method to show (tenant=<id>)');
    return requested;
  }
  const own = actor.tenantId ?? '';
  if (requested && requested !== own) throw new AuthError('NotFound', 'tenant not found');
  assertTenantAccess(actor, own, 'tenant');
  return own;
}

/** Whether this actor may change the method (for showing or hiding the forms). */
export function mayChangeMethod(actor: Actor): boolean {
  return !isOperator(actor) && actor.role === 'owner' && !actor.readOnly && !actor.vmUuid;
}

function assertMayChange(actor: Actor): string {
  if (isOperator(actor)) throw new AuthError('Forbidden', "operators can see a tenant's payment method; only the tenant's owner can change it");
  const tenantId = methodTenantOf(actor);
  if (actor.role !== 'owner') throw new AuthError('Forbidden', 'only an owner of this tenant can change its payment method');
  if (actor.readOnly) throw new AuthError('Forbidden', 'this API token is read-only');
  if (actor.vmUuid) throw new AuthError('Forbidden', 'this API token is limited to one VM');
  return tenantId;
}

const who = (actor: Actor, ip?: string): MethodActor => ({ userId: actor.userId, label: actor.label, ip: ip ?? null });

export async function paymentMethodFor(ctx: AppContext, actor: Actor, tenantId?: string | null): Promise<PaymentMethodState> {
  return getPaymentMethodState(paymentsDeps(ctx), methodTenantOf(actor, tenantId));
}

export async function startSetupFor(ctx: AppContext, actor: Actor, input: { autopay: boolean; ip?: string }): Promise<{ setupId: string; redirectUrl: string }> {
  const tenantId = assertMayChange(actor);
  return startMethodSetup(paymentsDeps(ctx), { tenantId, autopay: input.autopay, who: who(actor, input.ip) });
}

export async function setAutopayFor(ctx: AppContext, actor: Actor, input: { enabled: boolean; ip?: string }): Promise<boolean> {
  const tenantId = assertMayChange(actor);
  return setAutopay(paymentsDeps(ctx), { tenantId, enabled: input.enabled, who: who(actor, input.ip) });
}

export async function removeMethodFor(ctx: AppContext, actor: Actor, input: { ip?: string }): Promise<'removed' | 'none'> {
  const tenantId = assertMayChange(actor);
  return removePaymentMethod(paymentsDeps(ctx), { tenantId, who: who(actor, input.ip) });
}

/** The success URL: any user of the setup's tenant may land there (the owner who started it, usually). */
export async function finishSetupFor(ctx: AppContext, actor: Actor, input: { setupId: string; ip?: string }) {
  const tenantId = methodTenantOf(actor);
  return finishSetupOnReturn(paymentsDeps(ctx), { tenantId, setupId: input.setupId, who: who(actor, input.ip) });
}
