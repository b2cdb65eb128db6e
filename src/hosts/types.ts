// The HostAdapter contract: how collectors and the portal reach a Xen dom0.
// Adapters return the tools' raw text; parsing happens once, in hosts/parsers.
import type { Duplex } from 'node:stream';

export type AdapterKind = 'ssh' | 'local' | 'sim';

/** Sections of one sampling round trip, each the raw stdout of one tool. */
export interface RawSample {
  /** `xl list -l` (JSON); empty when `xlUnchanged`. */
  xlList: string;
  /** SHA-256 (hex) of the host's `xl list -l` text, computed on the host; absent where it has no sha256sum. */
  xlDigest?: string;
  /** The host's `xl list -l` text still has the digest the collector sent (SampleOptions): not sent again. */
  xlUnchanged?: boolean;
  /** `xentop -b -i 1 -f`. */
  xentop: string;
  /** `ovs-vsctl --format=json list Interface`; empty string when OVS is not installed. */
  ovs: string;
  /** One line per VBD backend: `vbd-<domid>-<dev> rd_sect wr_sect rd_req wr_req oo_req` (see SAMPLE_SCRIPT). */
  vbd: string;
  /** When the host produced it (host adapters use their clock at command start). */
  takenAt: Date;
}

export interface SampleOptions {
  /**
   * SHA-256 (hex) of the `xl list -l` text the collector parsed last time. Domain configuration rarely changes
   * between polls and is most of a sample's bytes: a host whose text still has this digest says so instead.
   */
  xlDigest?: string;
}

/** A digest the collector may send: exactly 64 lowercase hex digits (it travels as an argv element). */
export const XL_DIGEST_RE = /^[0-9a-f]{64}$/;

export type PowerAction = 'start' | 'shutdown' | 'reboot' | 'destroy';

/** A console byte stream (`xl console`): write keystrokes, read terminal output. */
export interface ConsoleStream extends Duplex {
  resize?(cols: number, rows: number): void;
}

export interface HostAdapter {
  readonly kind: AdapterKind;
  /** One round trip: domains, counters, sysfs VBD statistics and OVS interface statistics. */
  sample(opts?: SampleOptions): Promise<RawSample>;
  /** `xl list -l` alone (cheap, for the portal). */
  listDomains(): Promise<string>;
  /** `ovs-vsctl --format=json list Interface` alone. */
  interfaceStats(): Promise<string>;
  /** `domain` is a Xen UUID or domain name, validated by `assertDomainRef`. */
  power(domain: string, action: PowerAction): Promise<void>;
  openConsole(domain: string): Promise<ConsoleStream>;
  close(): Promise<void>;
}

/** Errors a host adapter raises; `code` is a closed set mapped to HTTP/CLI messages at the edge. */
export class HostError extends Error {
  constructor(
    readonly code: 'HostUnreachable' | 'HostKeyMismatch' | 'HostTimeout' | 'CommandFailed' | 'InvalidDomain' | 'InvalidState',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HostError';
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Only a Xen UUID or a plain domain name may reach a command line (as one argv element, never a shell string). */
export function assertDomainRef(domain: string): string {
  if (UUID_RE.test(domain) || NAME_RE.test(domain)) return domain;
  throw new HostError('InvalidDomain', `not a Xen UUID or plain domain name: ${JSON.stringify(domain).slice(0, 80)}`);
}

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}
