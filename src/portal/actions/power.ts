// powerVm: a power action on a VM the caller may act on, through its host's adapter; audited either way.
import type { AppContext } from '../../context.ts';
import type { PowerAction } from '../../hosts/types.ts';
import { HostError } from '../../hosts/types.ts';
import { getHost } from '../../hosts/registry.ts';
import { assertMayAct, type Actor } from '../../auth/actor.ts';
import { audit } from '../../auth/audit.ts';
import { AuthError } from '../../auth/errors.ts';
import { getVmForActor, type VmView } from '../queries/vms.ts';
import { forgetLiveStates } from '../queries/live-state.ts';
import { assertTenantMayAct } from './suspension.ts';

export const POWER_ACTIONS: readonly PowerAction[] = ['start', 'shutdown', 'reboot', 'destroy'];
export const isPowerAction = (s: string): s is PowerAction => (POWER_ACTIONS as readonly string[]).includes(s);

export const POWER_LABEL: Record<PowerAction, string> = {
  start: 'Start',
  shutdown: 'Shut down',
  reboot: 'Reboot',
  destroy: 'Force off',
};

export async function powerVm(ctx: AppContext, actor: Actor, vmUuid: string, action: PowerAction, ip: string | null): Promise<VmView> {
  const vm = await getVmForActor(ctx, actor, vmUuid);
  const base = { actorUserId: actor.userId, actorLabel: actor.label, tenantId: vm.tenantId, target: vm.uuid, ip } as const;
  try {
    assertMayAct(actor, vm.uuid);
    await assertTenantMayAct(ctx, actor, vm.tenantId);
  } catch (err) {
    await audit(ctx, { ...base, action: `vm.${action}`, result: 'denied', detail: { reason: (err as Error).message } });
    throw err;
  }
  if (!vm.hostId) throw new HostError('HostUnreachable', `${vm.name} is not on any known host right now`);
  try {
    const host = await getHost(ctx.db, vm.hostId);
    // `xl create` needs the domain name (it reads <name>.cfg); the other actions take the UUID.
    await ctx.hosts.adapterFor(host).power(action === 'start' ? vm.name : vm.uuid, action);
  } catch (err) {
    forgetLiveStates(ctx, vm.hostId);
    const reason = err instanceof HostError || err instanceof AuthError ? `${err.code}: ${err.message}` : 'internal error';
    await audit(ctx, { ...base, action: `vm.${action}`, result: 'failed', detail: { reason } });
    throw err;
  }
  forgetLiveStates(ctx, vm.hostId);
  await audit(ctx, { ...base, action: `vm.${action}`, result: 'ok' });
  return vm;
}
