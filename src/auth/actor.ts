// Who is asking: a signed-in user or an API token, with what reach. Every tenant check goes through here.
import type { UserRole } from '../db/schema/auth.ts';
import { AuthError } from './errors.ts';

export interface Actor {
  userId: string;
  role: UserRole;
  /** null for operators. */
  tenantId: string | null;
  /** Email (sessions) or token name (API), for the audit log. */
  label: string;
  via: 'session' | 'token';
  /** API token limits. */
  readOnly: boolean;
  vmUuid: string | null;
  tokenId?: string;
}

export const isOperator = (a: Actor): boolean => a.role === 'operator';

/** Tenant users see only their tenant; operators see every tenant. Refusals say "not found" so ids do not leak. */
export function assertTenantAccess(actor: Actor, tenantId: string | null | undefined, what = 'resource'): void {
  if (isOperator(actor)) return;
  if (!tenantId || actor.tenantId !== tenantId) throw new AuthError('NotFound', `${what} not found`);
}

export function assertOperator(actor: Actor): void {
  if (!isOperator(actor)) throw new AuthError('Forbidden', 'this needs an operator account');
}

/** Managing users and tokens of a tenant: owners of that tenant, and operators. */
export function assertOwner(actor: Actor, tenantId: string | null): void {
  if (isOperator(actor)) return;
  assertTenantAccess(actor, tenantId);
  if (actor.role !== 'owner') throw new AuthError('Forbidden', 'only an owner of this tenant can do this');
}

/** A read-only token, or one limited to another VM, may not act. */
export function assertMayAct(actor: Actor, vmUuid?: string): void {
  if (actor.readOnly) throw new AuthError('Forbidden', 'this API token is read-only');
  if (vmUuid && actor.vmUuid && actor.vmUuid !== vmUuid) throw new AuthError('NotFound', 'vm not found');
}
