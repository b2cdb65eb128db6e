// What the parsers produce. Cumulative counters are bigint (they reach 2^64); percentages are numbers.

/** One row of `xentop -b`; `null` where the tool printed `n/a`, `-`, `no limit` or lacks the column. */
export interface XentopRow {
  name: string;
  state: string;
  cpuSeconds: bigint | null;
  cpuPercent: number | null;
  memKiB: bigint | null;
  memPercent: number | null;
  maxMemKiB: bigint | null;
  maxMemPercent: number | null;
  vcpus: number | null;
  nets: number | null;
  /** NETTX(k): what dom0 sent to the guest, i.e. guest ingress (libxenstat reads vif's /proc/net/dev unswapped). */
  netTxKiB: bigint | null;
  /** NETRX(k): what the guest sent, i.e. guest egress. */
  netRxKiB: bigint | null;
  vbds: number | null;
  vbdOo: bigint | null;
  vbdRd: bigint | null;
  vbdWr: bigint | null;
  /** Untrustworthy on real hosts (libxenstat never fills it); never billed from. */
  vbdRsect: bigint | null;
  vbdWsect: bigint | null;
  ssid: number | null;
}

/** One domain from `xl list -l` or plain `xl list`. */
export interface XlDomain {
  domid: number;
  name: string;
  /** Null from plain `xl list`, which does not print UUIDs. */
  uuid: string | null;
  /** Xen's state letters from plain `xl list` (e.g. "r-----"), or a word from `-l`. */
  state: string | null;
  memoryMiB: number | null;
  vcpus: number | null;
  /** Network devices by devid (from `-l`), with MAC and bridge where configured. */
  vifs?: { devid: number; mac: string | null; bridge: string | null }[];
}

/** One row of `ovs-vsctl --format=json list Interface`. */
export interface OvsInterface {
  name: string;
  ofport: number | null;
  statistics: Record<string, bigint>;
  externalIds: Record<string, string>;
}

/** One VBD backend's sysfs statistics. */
export interface VbdStat {
  domid: number;
  dev: number;
  rdSect: bigint;
  wrSect: bigint;
  rdReq: bigint;
  wrReq: bigint;
  ooReq: bigint;
}

/** Malformed tool output: names the tool, the line and what was expected. Never a partial result. */
export class ParseError extends Error {
  constructor(
    readonly tool: 'xentop' | 'xl' | 'ovs-vsctl' | 'vbd' | 'sample',
    readonly line: number | null,
    detail: string,
  ) {
    super(`${tool} output${line === null ? '' : ` line ${line}`}: ${detail}`);
    this.name = 'ParseError';
  }
}
