// Shutting a tenant's VMs down and starting them again through the host adapters: used by dunning (after the
// grace period, and on payment) and by an operator's tenant suspension. Per VM, so one unreachable host
// does not keep the others running; the caller decides what a partial result means.
import { eq, sql } from 'drizzle-orm';
import type { AdapterProvider } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { rows } from '../../db/client.ts';
import { hosts } from '../../db/schema/hosts.ts';
import type { Logger } from '../../log.ts';
import { HostError } from '../../hosts/types.ts';

export interface VmPowerDeps {
  db: Db;
  log: Logger;
  hosts: AdapterProvider;
}

export interface VmPowerResult {
  /** VMs the action was carried out on. */
  done: string[];
  /** `code`: the HostError code when the host said why (InvalidState: the VM was not in a state for it). */
  failed: Array<{ uuid: string; error: string; code?: string }>;
}

/** The VMs currently assigned to a tenant that sit on a known host. */
export async function tenantVms(db: Db, tenantId: string): Promise<Array<{ uuid: string; hostId: string }>> {
  return rows<{ uuid: string; hostId: string }>(
    db,
    sql`select v.uuid::text as uuid, v.host_id::text as "hostId" from vm_assignments a join vms v on v.uuid = a.vm_uuid
        where a.tenant_id = ${tenantId}::uuid and a.valid_to is null and v.host_id is not null`,
  );
}

async function power(d: VmPowerDeps, uuid: string, action: 'shutdown' | 'start'): Promise<void> {
  const [vm] = await rows<{ hostId: string | null; name: string }>(d.db, sql`select host_id::text as "hostId", name from vms where uuid = ${uuid}::uuid`);
  if (!vm?.hostId) throw new Error(`vm ${uuid} is not on a known host`);
  const [host] = await d.db.select().from(hosts).where(eq(hosts.id, vm.hostId));
  if (!host) throw new Error(`host ${vm.hostId} not found`);
  // `xl create` reads <name>.cfg, so a start names the domain; the other actions take the UUID.
  await d.hosts.adapterFor(host).power(action === 'start' ? vm.name : uuid, action);
}

export async function powerVms(d: VmPowerDeps, uuids: readonly string[], action: 'shutdown' | 'start', why: string): Promise<VmPowerResult> {
  const out: VmPowerResult = { done: [], failed: [] };
  for (const uuid of uuids) {
    try {
      await power(d, uuid, action);
      out.done.push(uuid);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      const code = err instanceof HostError ? err.code : undefined;
      d.log.warn({ vm: uuid, err: error }, `${why}: ${action} failed`);
      out.failed.push(code ? { uuid, error, code } : { uuid, error });
    }
  }
  return out;
}
