// The collector's view of one poll: every VM on a host as its Xen UUID with gauges and raw cumulative
// counters, already joined across xentop, `xl list -l`, OVS and sysfs (see join.ts). No database here.

/** Domain state normalised from xentop's flag string (`--b---`) or a word. */
export type DomainState = 'running' | 'blocked' | 'paused' | 'shutdown' | 'crashed' | 'dying';

/** States in which a domain holds a CPU slot and counts as up (uptime integrates only in these). */
export const UP_STATES: ReadonlySet<DomainState> = new Set(['running', 'blocked', 'paused']);

export interface VmSample {
  uuid: string;
  name: string;
  domid: number;
  state: DomainState;
  vcpus: number;
  memoryKiB: bigint;
  /** Number of vifs (for the xentop network fallback's rate limit). */
  nets: number;
  /**
   * Cumulative counters by source-qualified key, so sources are never compared with each other:
   * `cpu` (xentop CPU(sec)), `vbd:<dev>:rd_sect|wr_sect` (sysfs), `vif:<devid>:rx_bytes|tx_bytes` (OVS port
   * statistics, the port's point of view), `xt:nettx_kib|netrx_kib` (xentop, dom0's /proc/net/dev view).
   */
  counters: Record<string, bigint>;
}

export interface HostSample {
  takenAt: Date;
  vms: VmSample[];
  /** Rows the join skipped and why (Domain-0 is not listed: it is never billed). */
  skipped: string[];
}

/**
 * xentop prints six flag positions `dsbcpr` (dying, shutdown, blocked, crashed, paused, running; see
 * print_state in Xen's tools/xentop/xentop.c), `-` where unset. A live domain that is neither on a CPU nor
 * blocked at that instant prints `------`: it is alive, so it counts as running.
 */
export function normalizeState(raw: string | null | undefined): DomainState {
  const s = (raw ?? '').trim().toLowerCase();
  const words: Record<string, DomainState> = {
    running: 'running',
    blocked: 'blocked',
    paused: 'paused',
    shutdown: 'shutdown',
    crashed: 'crashed',
    dying: 'dying',
    idle: 'running',
  };
  if (words[s]) return words[s];
  if (/^[dsbcpr-]{1,6}$/.test(s)) {
    if (s.includes('d')) return 'dying';
    if (s.includes('c')) return 'crashed';
    if (s.includes('s')) return 'shutdown';
    if (s.includes('p')) return 'paused';
    if (s.includes('b') && !s.includes('r')) return 'blocked';
    return 'running';
  }
  return 'running';
}
