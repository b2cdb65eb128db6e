// Operator suspension of a tenant: suspendTenant / unsuspendTenant, and getTenantSuspension for the checks.
// A suspended tenant's users can still sign in, read and pay invoices (so they can be unsuspended); power
// actions and consoles are refused at the edge (portal/actions/suspension.ts). Suspending ends the tenant's
// open consoles and may shut its VMs down through the same code dunning uses; unsuspending starts those
// VMs again. Both are audited.
import { z } from 'zod';
import { and, eq } from 'drizzle-orm';
import { tenants } from '../../db/schema/billing.ts';
import type { AdapterProvider } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../log.ts';
import type { BillingContext } from '../context.ts';
import { BillingError } from '../errors.ts';
import { audit } from '../../auth/audit.ts';
import { revokeTenantConsoleHolds } from '../../auth/console-holds.ts';
import { powerVms, tenantVms, type VmPowerResult } from '../dunning/vm-power.ts';
import { getTenant, type Tenant } from './tenants.ts';
import { parseInput } from './validate.ts';

export interface SuspensionContext extends BillingContext {
  log: Logger;
  /** Needed only to stop or start VMs. */
  hosts?: AdapterProvider;
}

/** Who did it, for the audit log: a signed-in operator, an operator's API token, or the CLI. */
export interface SuspensionActor {
  userId?: string | null;
  label: string;
  ip?: string | null;
}

export interface TenantSuspension {
  reason: string;
  since: Date;
}

const SuspendSchema = z.object({
  reason: z.string().trim().min(1, 'say why (the tenant sees it)').max(500),
  stopVms: z.boolean().default(false),
});

export interface SuspendResult {
  tenant: Tenant;
  /** Console sessions of the tenant's users that were ended. */
  consolesClosed: number;
  /** VMs shut down (empty unless asked); failures are reported, the suspension stands regardless. */
  vms: VmPowerResult;
}

export interface UnsuspendResult {
  tenant: Tenant;
  vms: VmPowerResult;
}

export async function getTenantSuspension(db: Db, tenantId: string): Promise<TenantSuspension | null> {
  const [t] = await db
    .select({ status: tenants.status, reason: tenants.suspendedReason, at: tenants.suspendedAt, createdAt: tenants.createdAt })
    .from(tenants)
    .where(eq(tenants.id, tenantId));
  if (!t || t.status !== 'suspended') return null;
  return { reason: t.reason ?? 'no reason was given', since: t.at ?? t.createdAt };
}

export async function suspendTenant(
  ctx: SuspensionContext,
  input: { tenantId: string; reason: string; stopVms?: boolean; by: SuspensionActor },
): Promise<SuspendResult> {
  const v = parseInput(SuspendSchema, { reason: input.reason, stopVms: input.stopVms }, 'suspension');
  if (v.stopVms && !ctx.hosts) throw new BillingError('InvalidInput', 'stopping VMs needs the host adapters');
  const current = await getTenant(ctx, input.tenantId);
  const now = ctx.clock.now();
  // Conditional on the status, so two operators suspending at once get one suspension and one Conflict.
  const [tenant] = await ctx.db
    .update(tenants)
    .set({ status: 'suspended', suspendedReason: v.reason, suspendedAt: now, suspendedVms: [] })
    .where(and(eq(tenants.id, current.id), eq(tenants.status, 'active')))
    .returning();
  if (!tenant) throw new BillingError('Conflict', `${current.company} is already suspended`);
  const consolesClosed = await revokeTenantConsoleHolds(ctx, tenant.id);
  let vms: VmPowerResult = { done: [], failed: [] };
  if (v.stopVms) {
    const list = await tenantVms(ctx.db, tenant.id);
    const r = await powerVms({ db: ctx.db, log: ctx.log, hosts: ctx.hosts! }, list.map((x) => x.uuid), 'shutdown', `suspension of tenant ${tenant.id}`);
    // A VM that was not running is already where the suspension wants it (and is not started on unsuspend).
    vms = { done: r.done, failed: r.failed.filter((f) => f.code !== 'InvalidState') };
    await ctx.db.update(tenants).set({ suspendedVms: vms.done }).where(eq(tenants.id, tenant.id));
    tenant.suspendedVms = vms.done;
  }
  await audit(ctx, {
    action: 'tenant.suspend',
    result: 'ok',
    actorUserId: input.by.userId ?? null,
    actorLabel: input.by.label,
    tenantId: tenant.id,
    target: tenant.id,
    ip: input.by.ip ?? null,
    detail: { reason: v.reason, consolesClosed, stoppedVms: vms.done, failedVms: vms.failed },
  });
  return { tenant, consolesClosed, vms };
}

export async function unsuspendTenant(
  ctx: SuspensionContext,
  input: { tenantId: string; startVms?: boolean; by: SuspensionActor },
): Promise<UnsuspendResult> {
  const current = await getTenant(ctx, input.tenantId);
  const startVms = (input.startVms ?? true) && current.suspendedVms.length > 0;
  if (startVms && !ctx.hosts) throw new BillingError('InvalidInput', 'starting VMs needs the host adapters');
  const [tenant] = await ctx.db
    .update(tenants)
    .set({ status: 'active', suspendedReason: null, suspendedAt: null, suspendedVms: [] })
    .where(and(eq(tenants.id, current.id), eq(tenants.status, 'suspended')))
    .returning();
  if (!tenant) throw new BillingError('Conflict', `${current.company} is not suspended`);
  // Only the VMs this suspension shut down: one the tenant had stopped itself stays stopped.
  let vms: VmPowerResult = { done: [], failed: [] };
  if (startVms) {
    const r = await powerVms({ db: ctx.db, log: ctx.log, hosts: ctx.hosts! }, current.suspendedVms, 'start', `unsuspension of tenant ${tenant.id}`);
    // Already running (the operator started it meanwhile) is what was asked for.
    vms = { done: r.done, failed: r.failed.filter((f) => f.code !== 'InvalidState') };
  }
  await audit(ctx, {
    action: 'tenant.unsuspend',
    result: 'ok',
    actorUserId: input.by.userId ?? null,
    actorLabel: input.by.label,
    tenantId: tenant.id,
    target: tenant.id,
    ip: input.by.ip ?? null,
    detail: { previousReason: current.suspendedReason, startedVms: vms.done, failedVms: vms.failed },
  });
  return { tenant, vms };
}
