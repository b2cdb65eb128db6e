// The VMs a caller may see: current assignment (tenant, plan) joined with the collector's latest view.
// Tenant users see only VMs currently assigned to their tenant; operators see every VM.
import { and, asc, eq, gt, isNull, lte, or, sql, type Placeholder } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { hosts, vms } from '../../db/schema/hosts.ts';
import { plans, tenants, vmAssignments } from '../../db/schema/billing.ts';
import type { Actor } from '../../auth/actor.ts';
import { AuthError } from '../../auth/errors.ts';
import { isUuid } from '../../hosts/types.ts';
import { perContext } from './ttl-cache.ts';

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

function baseQuery(db: Db, now: Date | Placeholder) {
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

/** Named prepared statements per database handle: the list runs on every dashboard and API list request. */
const statements = new WeakMap<Db, ReturnType<typeof prepare>>();
function prepare(db: Db) {
  const now = sql.placeholder('now');
  return {
    tenant: baseQuery(db, now).where(eq(vmAssignments.tenantId, sql.placeholder('tenant'))).orderBy(asc(vms.name)).prepare('kb_vms_of_tenant'),
    all: baseQuery(db, now).orderBy(asc(vms.name)).prepare('kb_vms_all'),
  };
}
function prepared(db: Db) {
  let s = statements.get(db);
  if (!s) statements.set(db, (s = prepare(db)));
  return s;
}

/**
 * Lists are reused for a second per tenant: the collector updates VMs every poll interval anyway, and under
 * load (a dashboard or API client polling) concurrent requests then share one query. Operator verbs that
 * change assignments call forgetVmLists.
 */
const LIST_CACHE_MS = 1000;
const lists = perContext<object, VmView[]>(LIST_CACHE_MS);

export function forgetVmLists(ctx: object): void {
  lists(ctx).forget();
}

export async function listVmsForActor(ctx: Pick<AppContext, 'db' | 'clock'>, actor: Actor): Promise<VmView[]> {
  if (actor.role !== 'operator' && !actor.tenantId) return [];
  const key = actor.role === 'operator' ? '*' : (actor.tenantId as string);
  const list = await lists(ctx).get(key, () => {
    const now = ctx.clock.now().toISOString();
    return actor.role === 'operator' ? prepared(ctx.db).all.execute({ now }) : prepared(ctx.db).tenant.execute({ now, tenant: key });
  });
  return actor.vmUuid ? onlyVm(list, actor.vmUuid) : list;
}

/** A VM-limited token's list, made once per cached list: the same array each time, so the API's serialised body is reused too. */
const oneVmLists = new WeakMap<readonly VmView[], Map<string, VmView[]>>();
function onlyVm(list: readonly VmView[], uuid: string): VmView[] {
  let byVm = oneVmLists.get(list);
  if (!byVm) oneVmLists.set(list, (byVm = new Map()));
  let one = byVm.get(uuid);
  if (!one) byVm.set(uuid, (one = list.filter((v) => v.uuid === uuid)));
  return one;
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
