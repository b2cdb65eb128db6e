// assignVm: put a VM on a tenant's plan from a given time, closing its open assignment at that time (history kept).
// listAssignments: the history. Overlaps are refused by the database trigger as well as here.
import { z } from 'zod';
import { and, asc, eq, gt, isNull, or, type SQL } from 'drizzle-orm';
import { vmAssignments } from '../../db/schema/billing.ts';
import { vms } from '../../db/schema/hosts.ts';
import { inTransaction, pgArray, rows, sql, type Db } from '../../db/client.ts';
import type { BillingContext } from '../context.ts';
import { BillingError } from '../errors.ts';
import { getTenant } from './tenants.ts';
import { getPlan } from './plans.ts';

export type Assignment = typeof vmAssignments.$inferSelect;

export interface AssignVmInput {
  vmUuid: string;
  tenantId: string;
  planId: string;
  /** Defaults to the clock's now. */
  from?: Date;
}

export async function assignVm(ctx: BillingContext, input: AssignVmInput): Promise<Assignment> {
  if (!z.string().uuid().safeParse(input.vmUuid).success) throw new BillingError('InvalidInput', `VM "${input.vmUuid}": expected a Xen UUID`);
  const from = input.from ?? ctx.clock.now();
  return inTransaction(ctx.db, async (tx) => {
    const tctx = { ...ctx, db: tx };
    const tenant = await getTenant(tctx, input.tenantId);
    const plan = await getPlan(tctx, input.planId);
    if (tenant.currency !== plan.currency) {
      throw new BillingError('CurrencyMismatch', `plan "${plan.name}" is priced in ${plan.currency} but tenant "${tenant.company}" is billed in ${tenant.currency}`);
    }
    // Lock the VM row so concurrent assigns of one VM serialise (the trigger checks overlaps too).
    const [vm] = await tx.select({ uuid: vms.uuid }).from(vms).where(eq(vms.uuid, input.vmUuid)).for('update');
    if (!vm) throw new BillingError('NotFound', `VM ${input.vmUuid} is not known (it appears once a collector has seen it)`);
    const later = await tx
      .select({ id: vmAssignments.id })
      .from(vmAssignments)
      .where(and(eq(vmAssignments.vmUuid, input.vmUuid), gt(vmAssignments.validFrom, from)));
    if (later.length > 0) {
      throw new BillingError('Conflict', `VM ${input.vmUuid} has an assignment starting after ${from.toISOString()}: history is append-only, assign from a later time`);
    }
    const open = await tx
      .select()
      .from(vmAssignments)
      .where(and(eq(vmAssignments.vmUuid, input.vmUuid), or(isNull(vmAssignments.validTo), gt(vmAssignments.validTo, from))));
    await refuseIfInvoiced(tx, [tenant.id, ...open.map((a) => a.tenantId)], from);
    for (const a of open) {
      if (a.validFrom.getTime() === from.getTime()) {
        throw new BillingError('Conflict', `VM ${input.vmUuid} already has an assignment starting at ${from.toISOString()}`);
      }
      await tx.update(vmAssignments).set({ validTo: from }).where(eq(vmAssignments.id, a.id));
    }
    const [row] = await tx
      .insert(vmAssignments)
      .values({ vmUuid: input.vmUuid, tenantId: tenant.id, planId: plan.id, validFrom: from, createdAt: ctx.clock.now() })
      .returning();
    return row;
  });
}

/** History inside an already invoiced period is frozen: moving a VM there would change finalized invoices. */
async function refuseIfInvoiced(tx: Db, tenantIds: string[], from: Date): Promise<void> {
  const [hit] = await rows<{ number: string; period_end: string }>(
    tx,
    sql`select number, period_end::text as period_end from invoices
        where tenant_id = any(${pgArray(tenantIds)}::uuid[]) and status in ('finalized', 'paid', 'uncollectible')
          and period_end > ${from.toISOString()}::timestamptz
        limit 1`,
  );
  if (hit) {
    throw new BillingError('Conflict', `cannot assign from ${from.toISOString()}: invoice ${hit.number} (period ending ${hit.period_end}) is already finalized; assign from its end or later`);
  }
}

export async function listAssignments(ctx: BillingContext, filter: { tenantId?: string; vmUuid?: string } = {}): Promise<Assignment[]> {
  const conds: SQL[] = [];
  if (filter.tenantId) conds.push(eq(vmAssignments.tenantId, filter.tenantId));
  if (filter.vmUuid) conds.push(eq(vmAssignments.vmUuid, filter.vmUuid));
  return ctx.db
    .select()
    .from(vmAssignments)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(asc(vmAssignments.vmUuid), asc(vmAssignments.validFrom));
}
