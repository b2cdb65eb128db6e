// The fastest any counter can really grow: a jump beyond this in the elapsed time is a data-quality
// error (garbage counter, driver bug), flagged in meter_anomalies and never billed. One table, one place.
import type { VmSample } from './sample.ts';

export type CounterKind = 'cpu' | 'vbd_sect' | 'vif_bytes' | 'xt_kib';

const SECTOR = 512n;
const GIB = 1024n ** 3n;

interface Limit {
  /** Counter units per second. */
  perSecond: (s: Pick<VmSample, 'vcpus' | 'nets'>, prevVcpus: number) => bigint;
  /** Always allowed on top (counter rounding, sampling jitter). */
  slack: (s: Pick<VmSample, 'vcpus' | 'nets'>, prevVcpus: number) => bigint;
}

export const MAX_RATES: Record<CounterKind, Limit> = {
  // CPU(sec) is whole seconds of CPU time: at most one per vcpu per wall second; +2 s for integer truncation.
  cpu: { perSecond: (s, pv) => BigInt(Math.max(s.vcpus, pv, 1)), slack: () => 2n },
  // 8 GiB/s per VBD, in 512-byte sectors.
  vbd_sect: { perSecond: () => (8n * GIB) / SECTOR, slack: () => (8n * GIB) / SECTOR },
  // 25 GB/s per vif.
  vif_bytes: { perSecond: () => 25_000_000_000n, slack: () => 25_000_000_000n },
  // xentop sums every vif of the domain, in KiB.
  xt_kib: {
    perSecond: (s) => (25_000_000_000n * BigInt(Math.max(s.nets, 1))) / 1024n,
    slack: (s) => (25_000_000_000n * BigInt(Math.max(s.nets, 1))) / 1024n,
  },
};

export function counterKind(key: string): CounterKind | null {
  if (key === 'cpu') return 'cpu';
  if (key.startsWith('vbd:')) return 'vbd_sect';
  if (key.startsWith('vif:')) return 'vif_bytes';
  if (key.startsWith('xt:')) return 'xt_kib';
  return null;
}

/** The largest plausible growth of `key` over `elapsedMs`. */
export function maxGrowth(key: string, elapsedMs: bigint, s: Pick<VmSample, 'vcpus' | 'nets'>, prevVcpus: number): bigint {
  const kind = counterKind(key);
  if (!kind) return 0n;
  const l = MAX_RATES[kind];
  const ms = elapsedMs > 0n ? elapsedMs : 0n;
  return (l.perSecond(s, prevVcpus) * ms) / 1000n + l.slack(s, prevVcpus);
}
