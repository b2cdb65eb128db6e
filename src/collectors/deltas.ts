// Pure metering rules (no database): one VM's sample against its stored state → usage deltas,
// anomalies and the next state. Every rule of ARCHITECTURE.md "Metering semantics" lives here.
import { maxGrowth } from './limits.ts';
import { UP_STATES, type DomainState, type VmSample } from './sample.ts';

/** The last accepted sample of a VM (vm_meter_state): its incarnation, gauges and raw counters. */
export interface MeterState {
  hostId: string;
  domid: number;
  sampledAt: Date;
  state: DomainState;
  vcpus: number;
  memoryKiB: bigint;
  counters: Record<string, bigint>;
}

export interface DeltaContext {
  hostId: string;
  takenAt: Date;
  /** The host's last successful poll before this one; null = this is its very first poll. */
  hostLastSuccessAt: Date | null;
}

/** Deltas from the VM's point of view. Gauge integrals are in milli-units (vcpu·ms, MiB·ms, ms): exact at the columns' 3 decimals. */
export interface UsageDelta {
  cpuSeconds: bigint;
  vcpuMs: bigint;
  memMibMs: bigint;
  diskReadBytes: bigint;
  diskWriteBytes: bigint;
  /** Bytes the VM received (ingress). */
  netRxBytes: bigint;
  /** Bytes the VM sent (egress). */
  netTxBytes: bigint;
  uptimeMs: bigint;
}

export interface Anomaly {
  counter: string;
  previous: bigint | null;
  current: bigint;
  elapsedMs: number;
  reason: string;
}

/**
 * - `stale`: taken at or before the stored sample (a racing collector already wrote a newer one): ignored.
 * - `baseline`: the very first poll of a newly added host: its counters hold an unknown past, nothing is billed.
 * - `booted-since`: a VM new to us on a host that was already polled: it started since, its counters are all usage.
 * - `new-incarnation`: a new domid (reboot) or a new host (migration): the counters restarted, delta = value.
 * - `continued`: same host and domid: delta against the stored value, gauges integrate over the elapsed time.
 */
export type DeltaBasis = 'stale' | 'baseline' | 'booted-since' | 'new-incarnation' | 'continued';

export interface DeltaResult {
  basis: DeltaBasis;
  /** Null only for `stale`. */
  usage: UsageDelta | null;
  anomalies: Anomaly[];
  /** What to store; for `stale` the previous state, unchanged. */
  nextState: MeterState;
}

export const ZERO_USAGE: Readonly<UsageDelta> = Object.freeze({
  cpuSeconds: 0n,
  vcpuMs: 0n,
  memMibMs: 0n,
  diskReadBytes: 0n,
  diskWriteBytes: 0n,
  netRxBytes: 0n,
  netTxBytes: 0n,
  uptimeMs: 0n,
});

type Family = 'cpu' | 'vbd' | 'vif' | 'xt';
const family = (key: string): Family | null =>
  key === 'cpu' ? 'cpu' : key.startsWith('vbd:') ? 'vbd' : key.startsWith('vif:') ? 'vif' : key.startsWith('xt:') ? 'xt' : null;
const hasFamily = (counters: Record<string, bigint>, f: Family): boolean => {
  for (const k in counters) if (Object.hasOwn(counters, k) && family(k) === f) return true;
  return false;
};

/**
 * Where each counter's growth lands, from the VM's point of view:
 * - OVS vif port `rx_bytes` is what the port received FROM the guest = guest egress → net_tx_bytes;
 *   `tx_bytes` is what the port sent TO the guest = guest ingress → net_rx_bytes.
 * - xentop NETTX(k) is dom0's /proc/net/dev TX of vif<domid>.<devid>, i.e. sent to the guest = guest ingress
 *   → net_rx_bytes; NETRX(k) → net_tx_bytes (libxenstat does not swap them).
 * - sysfs VBD rd_sect/wr_sect are 512-byte sectors.
 */
function addToUsage(u: UsageDelta, key: string, delta: bigint): void {
  if (key === 'cpu') u.cpuSeconds += delta;
  else if (key.endsWith(':rd_sect')) u.diskReadBytes += delta * 512n;
  else if (key.endsWith(':wr_sect')) u.diskWriteBytes += delta * 512n;
  else if (key.startsWith('vif:') && key.endsWith(':rx_bytes')) u.netTxBytes += delta;
  else if (key.startsWith('vif:') && key.endsWith(':tx_bytes')) u.netRxBytes += delta;
  else if (key === 'xt:nettx_kib') u.netRxBytes += delta * 1024n;
  else if (key === 'xt:netrx_kib') u.netTxBytes += delta * 1024n;
}

export function computeDeltas(prev: MeterState | undefined, sample: VmSample, ctx: DeltaContext): DeltaResult {
  const takenMs = BigInt(ctx.takenAt.getTime());
  if (prev && takenMs <= BigInt(prev.sampledAt.getTime())) {
    return { basis: 'stale', usage: null, anomalies: [], nextState: prev };
  }
  const nextState: MeterState = {
    hostId: ctx.hostId,
    domid: sample.domid,
    sampledAt: ctx.takenAt,
    state: sample.state,
    vcpus: sample.vcpus,
    memoryKiB: sample.memoryKiB,
    counters: { ...sample.counters },
  };
  const usage: UsageDelta = { ...ZERO_USAGE };
  let basis: DeltaBasis;
  let elapsedMs: bigint;
  if (ctx.hostLastSuccessAt === null) {
    // First poll of a newly added host: we cannot know what its counters held before we watched.
    return { basis: 'baseline', usage, anomalies: [], nextState };
  } else if (!prev) {
    basis = 'booted-since';
    elapsedMs = takenMs - BigInt(ctx.hostLastSuccessAt.getTime());
  } else {
    basis = prev.hostId === ctx.hostId && prev.domid === sample.domid ? 'continued' : 'new-incarnation';
    elapsedMs = takenMs - BigInt(prev.sampledAt.getTime());
  }

  // The network is billed from ONE source per sample: OVS when this host reports any vif of the VM,
  // else xentop. Both are stored, each compared only with itself.
  const netFromOvs = hasFamily(sample.counters, 'vif');
  const prevNetFromOvs = prev ? hasFamily(prev.counters, 'vif') : false;
  const anomalies: Anomaly[] = [];
  const keys = Object.keys(sample.counters);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const value = sample.counters[key]!;
    const f = family(key);
    if (f === null || (f === 'vif' && !netFromOvs) || (f === 'xt' && netFromOvs)) continue;
    let previous: bigint | null = null;
    let delta: bigint;
    if (basis !== 'continued' || !prev) {
      delta = value; // a new domain's counters start at zero
    } else if (prev.counters[key] === undefined) {
      // A counter new within the same incarnation: a hot-plugged device (starts at zero) is all usage, but
      // when the network source switched, the other source already billed these bytes up to the last sample.
      const switched = (f === 'vif' && !prevNetFromOvs && hasFamily(prev.counters, 'xt')) || (f === 'xt' && prevNetFromOvs);
      delta = switched ? 0n : value;
    } else {
      previous = prev.counters[key];
      // Went down: reset (re-created vif, 64-bit wrap, re-attached disk). The new value is all usage since;
      // never a negative delta, never a 2^64-wrapped one.
      delta = value >= previous ? value - previous : value;
    }
    if (delta === 0n) continue;
    const limit = maxGrowth(key, elapsedMs, sample, prev?.vcpus ?? sample.vcpus);
    if (delta > limit) {
      anomalies.push({
        counter: key,
        previous,
        current: value,
        elapsedMs: Number(elapsedMs),
        reason: `${basis}: grew by ${delta} in ${elapsedMs} ms, more than the ${limit} the hardware allows`,
      });
      continue; // flagged, never billed; the state still advances so the next delta is sane
    }
    addToUsage(usage, key, delta);
  }

  // Gauges integrate the PREVIOUS sample's values over the elapsed time, only within one incarnation and
  // only while it was up. Across a host outage the same incarnation (same domid on the same host, so it
  // never stopped) integrates the whole gap. A new incarnation's start time is unknown: at most one poll
  // interval per boot or migration goes unbilled rather than guessed.
  if (basis === 'continued' && prev && UP_STATES.has(prev.state)) {
    usage.vcpuMs = BigInt(prev.vcpus) * elapsedMs;
    usage.memMibMs = (prev.memoryKiB * elapsedMs) / 1024n; // KiB·ms → MiB·ms (floor, < 0.001 MiB·s per sample)
    usage.uptimeMs = elapsedMs;
  }
  return { basis, usage, anomalies, nextState };
}
