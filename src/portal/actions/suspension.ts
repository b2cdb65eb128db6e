// Enforcement of a tenant suspension at the edge, for portal and API alike: a suspended tenant's users and
// tokens may read and pay, but not act on VMs (power actions, console). Operators are never refused here.
import type { Db } from '../../db/client.ts';
import { isOperator, type Actor } from '../../auth/actor.ts';
import { AuthError } from '../../auth/errors.ts';
import { forgetValidatedSessions } from '../../auth/sessions.ts';
import { getTenantSuspension, suspendTenant, unsuspendTenant, type TenantSuspension } from '../../billing/catalogue/suspend-tenant.ts';

/** The one wording of a suspension, used in refusals, the console and the page banner. */
export function suspensionText(s: TenantSuspension): string {
  return `This account is suspended since ${s.since.toISOString().slice(0, 10)}: ${s.reason}`;
}

export class TenantSuspendedError extends AuthError {
  constructor(
    readonly suspension: TenantSuspension,
    what: string,
  ) {
    super('Forbidden', `${suspensionText(suspension)}. ${what} unavailable until the operator lifts the suspension; invoices can still be viewed and paid.`);
    this.name = 'TenantSuspendedError';
  }
}

/** Refuses a tenant user (or token) of a suspended tenant; `what` names the refused thing ("Power actions are"). */
export async function assertTenantMayAct(deps: { db: Db }, actor: Actor, tenantId: string | null, what = 'Power actions and the console are'): Promise<void> {
  if (isOperator(actor) || !tenantId) return;
  const s = await getTenantSuspension(deps.db, tenantId);
  if (s) throw new TenantSuspendedError(s, what);
}

/**
 * Suspending or lifting through the portal or the API: billing's verb, then the cached session validations go, so
 * the tenant's pages show the banner (read with the session) at once rather than within a second.
 */
export async function suspendTenantAtEdge(...args: Parameters<typeof suspendTenant>): ReturnType<typeof suspendTenant> {
  const r = await suspendTenant(...args);
  forgetValidatedSessions(args[0], 'all');
  return r;
}

export async function unsuspendTenantAtEdge(...args: Parameters<typeof unsuspendTenant>): ReturnType<typeof unsuspendTenant> {
  const r = await unsuspendTenant(...args);
  forgetValidatedSessions(args[0], 'all');
  return r;
}
