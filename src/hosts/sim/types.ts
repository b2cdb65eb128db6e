// Shapes of the simulated fleet: options, static domain definitions, incarnations and truth.

export interface SimEventRates {
  /** Scheduled reboots per VM per day. */
  rebootsPerDay: number;
  /** Scheduled shutdowns per VM per day (each followed by a start some minutes later). */
  shutdownsPerDay: number;
  /** Scheduled live migrations per VM per day (needs 2+ hosts). */
  migrationsPerDay: number;
  /** Scheduled unreachable periods per host per day (domains keep running). */
  hostOutagesPerDay: number;
}

export interface SimFleetOptions {
  seed: number;
  start: Date;
  /** A count (hosts named sim-01, sim-02, …) or explicit host names. */
  hosts: number | string[];
  vmsPerHost: number;
  events?: Partial<SimEventRates>;
  /** Share of HVM guests (they also get `vif<domid>.<devid>-emu` twins in OVS). Default 0.3. */
  hvmShare?: number;
  /** Which VIFs carry a VM-UUID external id in OVS. Default 'all'. */
  ovsExternalIds?: 'all' | 'some' | 'none';
  /**
   * Added (mod 2^64) to every net and VBD counter of a VM's first incarnation, keyed by VM name or
   * UUID: `2n ** 64n - 1000n` makes the counters wrap soon after start. Truth counts growth only.
   */
  counterOffsets?: Record<string, bigint>;
  /** Print the garbage VBD_RSECT real hosts print (libxenstat never fills it). Default false. */
  vbdRsectGarbage?: boolean;
}

export interface SimVmDef {
  idx: number;
  uuid: string;
  name: string;
  vcpus: number;
  memMiB: number;
  hvm: boolean;
  vifs: { devid: number; mac: string }[];
  /** Linux dev numbers: 51712 = xvda, 51728 = xvdb. */
  vbds: { dev: number; vdev: string }[];
  /** Average packet size and sectors per request, so packets and requests derive from bytes/sectors. */
  pktSize: number;
  sectPerReq: number;
  /** OVS external id key carrying the VM UUID, or null for none. */
  ovsUuidKey: 'xs-vm-uuid' | 'vm-uuid' | null;
}

/** One boot of a domain: from start (ms) until end (ms, exclusive) on one host with one domid. */
export interface SimIncarnation {
  host: string;
  domid: number;
  start: Date;
  end: Date | null;
}

/** One running domain as the tools would report it at a moment. Counters are u64 (wrapped). */
export interface SimDomainView {
  uuid: string;
  name: string;
  domid: number;
  hvm: boolean;
  vcpus: number;
  memKiB: bigint;
  /** CPU time in nanoseconds (xentop prints floor(ns / 1e9)). */
  cpuNs: bigint;
  /** 'r' when busy this second, else 'b' (blocked). */
  busy: boolean;
  vifs: {
    devid: number;
    mac: string;
    /** OVS row uuid and ofport of `vif<domid>.<devid>`. */
    ovsUuid: string;
    ofport: number;
    ifindex: number;
    /** Bytes the guest SENT (egress): OVS rx_bytes, xentop NETRX. */
    guestTxBytes: bigint;
    guestTxPackets: bigint;
    /** Bytes delivered TO the guest (ingress): OVS tx_bytes, xentop NETTX. */
    guestRxBytes: bigint;
    guestRxPackets: bigint;
  }[];
  /** HVM only: `vif<domid>.<devid>-emu` twins. They carry only firmware/DHCP traffic before PV drivers
   *  load (a constant per incarnation): not guest traffic to bill, not part of truth. */
  emu: { devid: number; ovsUuid: string; ofport: number; ifindex: number; bytes: bigint }[];
  vbds: { dev: number; vdev: string; rdSect: bigint; wrSect: bigint; rdReq: bigint; wrReq: bigint; ooReq: bigint }[];
  ovsUuidKey: 'xs-vm-uuid' | 'vm-uuid' | null;
}

/** Domain-0 of a host: never billed, but present in every tool's output. */
export interface SimDom0View {
  name: 'Domain-0';
  domid: 0;
  vcpus: number;
  memKiB: bigint;
  cpuNs: bigint;
}

export interface SimHostView {
  name: string;
  at: Date;
  totalMemKiB: bigint;
  cpus: number;
  dom0: SimDom0View;
  domains: SimDomainView[];
  /** Uplink and bridge-internal port counters. */
  uplink: { rxBytes: bigint; txBytes: bigint; rxPackets: bigint; txPackets: bigint; ovsUuid: string };
  bridgeUuid: string;
  vbdRsectGarbage: boolean;
  /** Per-fleet memo of rendered static text (printers fill it; keys are row/domain uuids). */
  textCache: Map<string, string>;
}

/**
 * True usage of one VM from fleet start to a moment, summed over all its incarnations, from the VM's
 * point of view: netRxBytes = bytes the VM RECEIVED (ingress), netTxBytes = bytes it SENT (egress).
 * Counters count exactly what the printed counters can reveal: cpuSeconds is Σ floor(final CPU seconds
 * of each incarnation), and an incarnation's final value is the one visible in its last millisecond.
 * Gauges are exact integrals over running time: vcpu-seconds, MiB-seconds, seconds (fractional).
 */
export interface SimTruth {
  cpuSeconds: bigint;
  diskReadBytes: bigint;
  diskWriteBytes: bigint;
  netRxBytes: bigint;
  netTxBytes: bigint;
  vcpuSeconds: number;
  memMibSeconds: number;
  uptimeSeconds: number;
}

export type SimPowerAction = 'start' | 'shutdown' | 'reboot' | 'destroy';

/** Explicit commands, recorded with their time so a fleet replays to the same state. */
export type SimCommand =
  | { at: string; op: 'power'; host: string; domain: string; action: SimPowerAction }
  | { at: string; op: 'migrate'; domain: string; toHost: string }
  | { at: string; op: 'hostDown'; host: string; down: boolean };

/** Things consoles listen for. */
export type SimDomainEvent = { kind: 'boot' | 'reboot' | 'halt'; uuid: string; at: number };
