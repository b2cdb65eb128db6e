// HostAdapter for one host of a simulated fleet: the same raw text a real dom0 would return.
import { createHash } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import { assertDomainRef, HostError, type ConsoleStream, type HostAdapter, type PowerAction, type RawSample, type SampleOptions } from '../types.ts';
import { openSimConsole } from './console.ts';
import type { SimFleet } from './fleet.ts';
import { OVS_COLUMNS } from '../sample-script.ts';
import { printOvsInterfaces, printVbdStats, printXentop, printXlListLong } from './print.ts';

/** What the real adapters ask ovs-vsctl for (see OVS_COLUMNS). */
const SAMPLED_COLUMNS = OVS_COLUMNS.split(',');

export class SimAdapter implements HostAdapter {
  readonly kind = 'sim' as const;
  private closed = false;

  constructor(
    private readonly fleet: SimFleet,
    private readonly hostName: string,
    private readonly clock: Clock,
  ) {
    if (!fleet.hasHost(hostName)) throw new HostError('InvalidDomain', `no sim host named ${hostName} (hosts: ${fleet.hostNames.slice(0, 5).join(', ')}…)`);
  }

  /** Advances the fleet to the clock and refuses while the host is (simulated) unreachable. */
  private reach(): Date {
    if (this.closed) throw new HostError('HostUnreachable', `sim adapter for ${this.hostName} is closed`);
    const now = this.clock.now();
    this.fleet.advanceTo(now);
    if (this.fleet.isHostDown(this.hostName)) throw new HostError('HostUnreachable', `${this.hostName}: no route to host (simulated outage)`);
    return now;
  }

  /** Like the sampling script on a dom0 with sha256sum: `xl list -l` is only sent when its digest changed. */
  async sample(opts?: SampleOptions): Promise<RawSample> {
    const takenAt = this.reach();
    const v = this.fleet.hostView(this.hostName);
    const xlList = printXlListLong(v);
    const xlDigest = createHash('sha256').update(xlList).digest('hex');
    const rest = { xentop: printXentop(v, { full: true }), ovs: printOvsInterfaces(v, SAMPLED_COLUMNS), vbd: printVbdStats(v), takenAt };
    return opts?.xlDigest === xlDigest ? { xlList: '', xlDigest, xlUnchanged: true, ...rest } : { xlList, xlDigest, ...rest };
  }

  async listDomains(): Promise<string> {
    this.reach();
    return printXlListLong(this.fleet.hostView(this.hostName));
  }

  async interfaceStats(): Promise<string> {
    this.reach();
    return printOvsInterfaces(this.fleet.hostView(this.hostName), SAMPLED_COLUMNS);
  }

  async power(domain: string, action: PowerAction): Promise<void> {
    assertDomainRef(domain);
    const now = this.reach();
    this.fleet.power(this.hostName, domain, action, now);
  }

  async openConsole(domain: string): Promise<ConsoleStream> {
    assertDomainRef(domain);
    this.reach();
    return openSimConsole(this.fleet, this.hostName, domain, this.clock);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export function createSimAdapter(fleet: SimFleet, hostName: string, clock: Clock): SimAdapter {
  return new SimAdapter(fleet, hostName, clock);
}
