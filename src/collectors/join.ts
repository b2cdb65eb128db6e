// Joins one poll's parsed tool outputs into VmSamples keyed by Xen UUID.
// xentop (-f: full names) gives counters by NAME; `xl list -l` maps names to UUID and domid.
import type { OvsInterface, VbdStat, XentopRow, XlDomain } from '../hosts/parsers/types.ts';
import { normalizeState, type HostSample, type VmSample } from './sample.ts';

export interface ParsedPoll {
  xentop: XentopRow[];
  xl: XlDomain[];
  ovs: OvsInterface[];
  vbd: VbdStat[];
  takenAt: Date;
}

/** OVS external_ids keys that carry the Xen VM UUID, in order of preference (XenServer/XCP-ng, xl hotplug scripts). */
export const OVS_VM_UUID_KEYS = ['xen-vm-uuid', 'xs-vm-uuid', 'vm-uuid'] as const;

const VIF_NAME_RE = /^vif(\d+)\.(\d+)$/;
/**
 * xl renames the domains of a live migration: the destination is `<name>--incoming` until it completes and
 * the source becomes `<name>--migratedaway` just before it is destroyed. Both carry the VM's UUID; counting
 * them would flip the VM between incarnations on two hosts and bill the counters twice, so they are skipped.
 */
const MIGRATION_NAME_RE = /--(incoming|migratedaway)$/;

export function joinPoll(p: ParsedPoll): HostSample {
  const skipped: string[] = [];
  const byName = new Map<string, XlDomain>();
  for (const d of p.xl) byName.set(d.name, d);

  const vms: VmSample[] = [];
  const byDomid = new Map<number, VmSample>();
  const byUuid = new Map<string, VmSample>();
  for (const row of p.xentop) {
    // Domain-0 is the host itself: never billed.
    if (row.name === 'Domain-0') continue;
    const dom = byName.get(row.name);
    if (!dom) {
      skipped.push(`${row.name}: in xentop but not in xl list (created or destroyed between the two commands)`);
      continue;
    }
    if (dom.domid === 0) continue;
    if (MIGRATION_NAME_RE.test(row.name)) {
      skipped.push(`${row.name}: live migration in progress (counted on the host that keeps it)`);
      continue;
    }
    if (!dom.uuid) {
      skipped.push(`${row.name}: xl list gave no UUID (plain \`xl list\` instead of \`xl list -l\`?)`);
      continue;
    }
    const uuid = dom.uuid.toLowerCase();
    if (byUuid.has(uuid)) {
      skipped.push(`${row.name}: UUID ${uuid} listed twice on this host`);
      continue;
    }
    const counters: Record<string, bigint> = {};
    if (row.cpuSeconds !== null) counters.cpu = row.cpuSeconds;
    if (row.netTxKiB !== null) counters['xt:nettx_kib'] = row.netTxKiB;
    if (row.netRxKiB !== null) counters['xt:netrx_kib'] = row.netRxKiB;
    const vm: VmSample = {
      uuid,
      name: row.name,
      domid: dom.domid,
      state: normalizeState(row.state ?? dom.state),
      vcpus: row.vcpus ?? dom.vcpus ?? 0,
      memoryKiB: row.memKiB ?? BigInt(dom.memoryMiB ?? 0) * 1024n,
      nets: row.nets ?? dom.vifs?.length ?? 0,
      counters,
    };
    vms.push(vm);
    byDomid.set(vm.domid, vm);
    byUuid.set(uuid, vm);
  }

  // VBD counters from sysfs only: xentop's VBD_RSECT is garbage on real hosts (never read).
  for (const s of p.vbd) {
    const vm = byDomid.get(s.domid);
    if (!vm) continue;
    const [rd, wr] = counterKeys(vbdKeys, s.dev, 'vbd', 'rd_sect', 'wr_sect');
    vm.counters[rd] = s.rdSect;
    vm.counters[wr] = s.wrSect;
  }

  for (const iface of p.ovs) mapOvsInterface(iface, byUuid, byDomid, skipped);
  return { takenAt: p.takenAt, vms, skipped };
}

/**
 * One OVS Interface row → `vif:<devid>:rx_bytes|tx_bytes` on its VM (raw OVS names: the PORT's view;
 * deltas.ts turns rx into the guest's egress). The VM comes from external_ids when present, else from the
 * name `vif<domid>.<devid>` through this poll's domain list.
 * `vif<domid>.<devid>-emu` is ignored: for an HVM guest libxl creates both the PV vif and an emulated tap
 * twin for the same NIC; the guest uses one or the other (the emulated NIC is unplugged once PV drivers load),
 * and counting both would double-bill. Traffic of a guest without PV drivers therefore is not metered through
 * OVS (the xentop fallback still applies when a VM has no OVS vif at all).
 */
function mapOvsInterface(
  iface: OvsInterface,
  byUuid: Map<string, VmSample>,
  byDomid: Map<number, VmSample>,
  skipped: string[],
): void {
  if (iface.name.endsWith('-emu')) return;
  const m = VIF_NAME_RE.exec(iface.name);
  let vm: VmSample | undefined;
  const extUuid = OVS_VM_UUID_KEYS.map((k) => iface.externalIds[k]).find((v) => typeof v === 'string' && v.length > 0);
  if (extUuid) {
    vm = byUuid.get(extUuid.toLowerCase());
    if (!vm) return; // a port of a VM that is not (or no longer) on this host
    // A leftover port of an earlier incarnation (old domid in the name) must not be read as the current one.
    if (m && Number(m[1]) !== vm.domid) {
      skipped.push(`${iface.name}: external_ids name VM ${vm.uuid} but its domid is now ${vm.domid} (stale port)`);
      return;
    }
  } else if (m) {
    vm = byDomid.get(Number(m[1]));
    if (!vm) return;
  } else {
    return; // not a vif port (uplink, bridge-internal, tunnel)
  }
  const dev = m ? m[2] : iface.name;
  const rx = iface.statistics.rx_bytes;
  const tx = iface.statistics.tx_bytes;
  if (rx === undefined || tx === undefined) return;
  const [rxKey, txKey] = counterKeys(vifKeys, dev!, 'vif', 'rx_bytes', 'tx_bytes');
  vm.counters[rxKey] = rx;
  vm.counters[txKey] = tx;
}

/** The two counter keys of a device, built once per device name rather than once per VM per poll. */
const vbdKeys = new Map<number | string, readonly [string, string]>();
const vifKeys = new Map<number | string, readonly [string, string]>();
function counterKeys(cache: Map<number | string, readonly [string, string]>, dev: number | string, prefix: string, a: string, b: string): readonly [string, string] {
  let k = cache.get(dev);
  if (!k) {
    k = [`${prefix}:${dev}:${a}`, `${prefix}:${dev}:${b}`];
    if (cache.size > 10_000) cache.clear();
    cache.set(dev, k);
  }
  return k;
}
