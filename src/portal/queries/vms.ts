// The VMs a caller may see: current assignment (tenant, plan) joined with the collector's latest view.
// Tenant users see only VMs currently assigned to their tenant; operators see every VM.
import { and, asc, eq, gt, isNull, lte, or } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { hosts, vms } from '../../db/schema/hosts.ts';
import { plans, tenants, vmAssignments } from '../../db/schema/billing.ts';
import type { Actor } from '../../auth/actor.ts';
import { AuthError } from '../../auth/errors.ts';
import { isUuid } from '../../hosts/types.ts';

export interface VmView {
  uuid: string;
  name: string;
  state: string;
  domid: number | null;
  vcpus: number;
  memoryMiB: number;
  lastSeenAt: Date;
  hostId: string | null;
  hostName: string | null;
  tenantId: string | null;
  tenantName: string | null;
  planId: string | null;
  planName: string | null;
  assignedFrom: Date | null;
}

function baseQuery(db: Db, now: Date) {
  // A left join on the assignment current at `now`: [valid_from, valid_to).
  const current = and(
    eq(vmAssignments.vmUuid, vms.uuid),
    lte(vmAssignments.validFrom, now),
    or(isNull(vmAssignments.validTo), gt(vmAssignments.validTo, now)),
  );
  return db
    .select({
      uuid: vms.uuid,
      name: vms.name,
      state: vms.state,
      domid: vms.domid,
      vcpus: vms.vcpus,
      memoryMiB: vms.memoryMiB,
      lastSeenAt: vms.lastSeenAt,
      hostId: vms.hostId,
      hostName: hosts.name,
      tenantId: vmAssignments.tenantId,
      tenantName: tenants.company,
      planId: vmAssignments.planId,
      planName: plans.name,
      assignedFrom: vmAssignments.validFrom,
    })
    .from(vms)
    .leftJoin(vmAssignments, current)
    .leftJoin(tenants, eq(tenants.id, vmAssignments.tenantId))
    .leftJoin(plans, eq(plans.id, vmAssignments.planId))
    .leftJoin(hosts, eq(hosts.id, vms.hostId));
}

export async function listVmsForActor(ctx: Pick<AppContext, 'db' | 'clock'>, actor: Actor): Promise<VmView[]> {
  const q = baseQuery(ctx.db, ctx.clock.now());
  if (actor.role === 'operator') return q.orderBy(asc(vms.name));
  if (!actor.tenantId) return [];
  const list = await q.where(eq(vmAssignments.tenantId, actor.tenantId)).orderBy(asc(vms.name));
  return actor.vmUuid ? list.filter((v) => v.uuid === actor.vmUuid) : list;
}

/** The VM if the caller may see it; otherwise NotFound (the same answer as for a VM that does not exist). */
export async function getVmForActor(ctx: Pick<AppContext, 'db' | 'clock'>, actor: Actor, uuid: string): Promise<VmView> {
  if (!isUuid(uuid)) throw new AuthError('NotFound', 'vm not found');
  const [vm] = await baseQuery(ctx.db, ctx.clock.now()).where(eq(vms.uuid, uuid.toLowerCase()));
  if (!vm) throw new AuthError('NotFound', 'vm not found');
  if (actor.role !== 'operator' && (!actor.tenantId || vm.tenantId !== actor.tenantId)) throw new AuthError('NotFound', 'vm not found');
  if (actor.vmUuid && actor.vmUuid !== vm.uuid) throw new AuthError('NotFound', 'vm not found');
  return vm;
}
