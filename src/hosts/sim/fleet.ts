// The simulated Xen + OVS fleet: domains boot, reboot, shut down, migrate and hosts go unreachable on a
// seed-derived schedule or by explicit command. State at time t depends only on (seed, options, t,
// command log): events are processed strictly in time order and counters are closed-form integrals.
import { HostError } from '../types.ts';
import { buildVmDefs, hostNames } from './defs.ts';
import { MinHeap } from './heap.ts';
import { expSeconds, hash32, hashString, rand01, uuidFrom } from './prng.ts';
import { NS, S_CPU, SeriesBank, sVbdRd, sVbdWr, sVifIn, sVifOut } from './series.ts';
import type {
  SimCommand, SimDomainEvent, SimDomainView, SimEventRates, SimFleetOptions, SimHostView, SimIncarnation,
  SimPowerAction, SimTruth, SimVmDef,
} from './types.ts';

const U64 = 1n << 64n;
const MAX_DOMID = 32751; // DOMID_FIRST_RESERVED - 1
/** A guest's shutdown takes this long before the domain disappears. */
export const SHUTDOWN_MS = 3000;
const DOM0_MEM_MIB = 4096;
const HOST_MEM_MIB = 262144;

/** An OVS port of one incarnation; its row uuid is derived on first print (building big fleets stays cheap). */
interface Port { key: number; ofport: number; ifindex: number; uuid?: string }
interface Inc { host: number; domid: number; start: number; end: number | null; base: Float64Array; offset: bigint; ports: Port[]; emu: Port[] }
interface VmState { running: boolean; host: number; incs: Inc[]; pendingHalt: number | null; offCause: number }
interface HostState { name: string; hash: number; nextDomid: number; nextPort: number; running: Set<number>; explicitDown: boolean; outageUntil: number; dom0CpuMsPerSec: number; uplinkBps: number }
type EvKind = 'reboot' | 'shutdown' | 'migrate' | 'outage' | 'halt' | 'autostart';
interface Ev { at: number; kind: EvKind; id: number; token: number; seq: number; chain: number }

const KIND_ORDER: Record<EvKind, number> = { outage: 0, halt: 1, autostart: 2, reboot: 3, shutdown: 4, migrate: 5 };

export class SimFleet {
  readonly seed: number;
  readonly start: Date;
  readonly options: SimFleetOptions;
  readonly hostNames: readonly string[];
  readonly vms: readonly SimVmDef[];
  private readonly startMs: number;
  private readonly rates: SimEventRates;
  private readonly bank: SeriesBank;
  private readonly state: VmState[];
  private readonly hosts: HostState[];
  private readonly hostIndex = new Map<string, number>();
  private readonly byRef = new Map<string, number>();
  private readonly queue = new MinHeap<Ev>((a, b) =>
    a.at !== b.at ? a.at < b.at : a.kind !== b.kind ? KIND_ORDER[a.kind] < KIND_ORDER[b.kind] : a.id !== b.id ? a.id < b.id : a.seq < b.seq);
  private nowMs: number;
  private seq = 0;
  private token = 0;
  private readonly log: SimCommand[] = [];
  private readonly listeners = new Map<string, Set<(e: SimDomainEvent) => void>>();
  private readonly consoleHolders = new Map<string, symbol>();
  private readonly scratch = new Float64Array(NS);
  private readonly offsets: bigint[];
  private readonly textCache = new Map<string, string>();

  constructor(options: SimFleetOptions) {
    this.options = options;
    this.seed = options.seed | 0;
    this.start = new Date(options.start.getTime());
    this.startMs = this.start.getTime();
    this.nowMs = this.startMs;
    this.rates = { rebootsPerDay: 0, shutdownsPerDay: 0, migrationsPerDay: 0, hostOutagesPerDay: 0, ...options.events };
    this.hostNames = hostNames(options.hosts);
    const { defs, profiles, home } = buildVmDefs(options, [...this.hostNames]);
    this.vms = defs;
    this.bank = new SeriesBank(this.seed, profiles);
    this.offsets = defs.map((d) => {
      const o = options.counterOffsets?.[d.uuid] ?? options.counterOffsets?.[d.name] ?? 0n;
      return ((o % U64) + U64) % U64;
    });
    this.hosts = this.hostNames.map((name, h) => {
      const hs = hashString(name);
      this.hostIndex.set(name, h);
      return {
        name, hash: hs, nextDomid: 1 + (hash32(this.seed, hs, 20) % 20), nextPort: 2, running: new Set<number>(), explicitDown: false,
        outageUntil: -Infinity, dom0CpuMsPerSec: 50 + (hash32(this.seed, hs, 21) % 250), uplinkBps: 1_000_000 + (hash32(this.seed, hs, 22) % 50_000_000),
      };
    });
    for (const d of defs) {
      this.byRef.set(d.uuid, d.idx);
      this.byRef.set(d.name, d.idx);
    }
    this.state = defs.map((d) => ({ running: false, host: home[d.idx], incs: [], pendingHalt: null, offCause: -1 }));
    for (const d of defs) this.boot(d.idx, home[d.idx], this.startMs);
    this.scheduleChains();
  }

  get now(): Date {
    return new Date(this.nowMs);
  }

  /** Explicit commands so far, in order (what a state file stores to replay the fleet). */
  get commands(): readonly SimCommand[] {
    return this.log;
  }

  // ---------- time ----------

  /** Processes every scheduled event up to and including t. Never goes back in time. */
  advanceTo(t: Date | number): void {
    const ms = typeof t === 'number' ? t : t.getTime();
    for (let ev = this.queue.peek(); ev && ev.at <= ms; ev = this.queue.peek()) {
      this.queue.pop();
      if (ev.at > this.nowMs) this.nowMs = ev.at;
      this.handle(ev);
    }
    if (ms > this.nowMs) this.nowMs = ms;
  }

  private scheduleChains(): void {
    const r = this.rates;
    for (let i = 0; i < this.vms.length; i++) {
      if (r.rebootsPerDay > 0) this.chain('reboot', i, 0, this.startMs);
      if (r.shutdownsPerDay > 0) this.chain('shutdown', i, 0, this.startMs);
      if (r.migrationsPerDay > 0 && this.hosts.length > 1) this.chain('migrate', i, 0, this.startMs);
    }
    if (r.hostOutagesPerDay > 0) for (let h = 0; h < this.hosts.length; h++) this.chain('outage', h, 0, this.startMs);
  }

  /** Scheduled events form per-subject chains whose k-th gap is a pure function of (seed, subject, k). */
  private chain(kind: 'reboot' | 'shutdown' | 'migrate' | 'outage', id: number, k: number, after: number): void {
    const perDay = { reboot: this.rates.rebootsPerDay, shutdown: this.rates.shutdownsPerDay, migrate: this.rates.migrationsPerDay, outage: this.rates.hostOutagesPerDay }[kind];
    const gap = expSeconds(86400 / perDay, this.seed, id, KIND_ORDER[kind], k, 0xe7);
    this.queue.push({ at: after + gap * 1000, kind, id, token: 0, seq: this.seq++, chain: k });
  }

  private handle(ev: Ev): void {
    const vm = ev.id;
    switch (ev.kind) {
      case 'reboot':
        this.chain('reboot', vm, ev.chain + 1, ev.at);
        if (this.state[vm].running) this.doReboot(vm, ev.at);
        break;
      case 'shutdown': {
        this.chain('shutdown', vm, ev.chain + 1, ev.at);
        const st = this.state[vm];
        if (st.running && st.pendingHalt === null) {
          const tok = this.requestHalt(vm, ev.at);
          const offFor = 300 + (hash32(this.seed, vm, ev.chain, 0x0ff) % 3300);
          st.offCause = tok;
          this.queue.push({ at: ev.at + SHUTDOWN_MS + offFor * 1000, kind: 'autostart', id: vm, token: tok, seq: this.seq++, chain: 0 });
        }
        break;
      }
      case 'migrate': {
        this.chain('migrate', vm, ev.chain + 1, ev.at);
        const st = this.state[vm];
        if (st.running && st.pendingHalt === null) {
          const k = hash32(this.seed, vm, ev.chain, 0x316) % (this.hosts.length - 1);
          this.doMigrate(vm, k >= st.host ? k + 1 : k, ev.at);
        }
        break;
      }
      case 'outage': {
        this.chain('outage', vm, ev.chain + 1, ev.at);
        const dur = 60 + (hash32(this.seed, vm, ev.chain, 0x0a7) % 1740);
        const h = this.hosts[vm];
        h.outageUntil = Math.max(h.outageUntil, ev.at + dur * 1000);
        break;
      }
      case 'halt': {
        const st = this.state[vm];
        if (st.running && st.pendingHalt === ev.token) {
          this.end(vm, ev.at);
          st.offCause = ev.token;
          this.emit(vm, 'halt', ev.at);
        }
        break;
      }
      case 'autostart': {
        const st = this.state[vm];
        if (!st.running && st.offCause === ev.token) {
          this.boot(vm, st.host, ev.at);
          this.emit(vm, 'boot', ev.at);
        }
        break;
      }
    }
  }

  // ---------- lifecycle ----------

  private allocPort(h: HostState, vm: number, domid: number, at: number): Port {
    const ofport = h.nextPort++;
    return { key: hash32(h.hash, ofport, domid, at, vm), ofport, ifindex: 100 + ofport };
  }

  private portUuid(p: Port): string {
    return (p.uuid ??= uuidFrom(this.seed, p.key, 0x0f5));
  }

  private boot(vm: number, host: number, at: number): void {
    const h = this.hosts[host];
    let domid = h.nextDomid;
    const used = new Set([...h.running].map((i) => this.current(i).domid));
    while (used.has(domid)) domid = domid >= MAX_DOMID ? 1 : domid + 1;
    h.nextDomid = domid >= MAX_DOMID ? 1 : domid + 1;
    const st = this.state[vm];
    const d = this.vms[vm];
    const base = new Float64Array(NS);
    this.bank.eval(vm, this.sec(at), base);
    const ports = d.vifs.map(() => this.allocPort(h, vm, domid, at));
    const emu = d.hvm ? d.vifs.map(() => this.allocPort(h, vm, domid, at)) : [];
    st.incs.push({ host, domid, start: at, end: null, base, offset: st.incs.length === 0 ? this.offsets[vm] : 0n, ports, emu });
    st.running = true;
    st.host = host;
    st.pendingHalt = null;
    h.running.add(vm);
  }

  private end(vm: number, at: number): void {
    const st = this.state[vm];
    const inc = this.current(vm);
    inc.end = at;
    st.running = false;
    st.pendingHalt = null;
    this.hosts[inc.host].running.delete(vm);
  }

  private current(vm: number): Inc {
    const incs = this.state[vm].incs;
    return incs[incs.length - 1];
  }

  private requestHalt(vm: number, at: number): number {
    const tok = ++this.token;
    this.state[vm].pendingHalt = tok;
    this.queue.push({ at: at + SHUTDOWN_MS, kind: 'halt', id: vm, token: tok, seq: this.seq++, chain: 0 });
    return tok;
  }

  private doReboot(vm: number, at: number): void {
    const host = this.state[vm].host;
    this.end(vm, at);
    this.boot(vm, host, at);
    this.emit(vm, 'reboot', at);
  }

  private doMigrate(vm: number, to: number, at: number): void {
    this.end(vm, at);
    this.boot(vm, to, at);
    this.emit(vm, 'halt', at);
  }

  private sec(ms: number): number {
    return Math.max(0, Math.floor((ms - this.startMs) / 1000));
  }

  // ---------- explicit commands ----------

  private commandTime(at: Date): number {
    const ms = at.getTime();
    if (ms < this.nowMs) throw new RangeError(`sim fleet: command at ${at.toISOString()} is before the fleet's time ${this.now.toISOString()}`);
    this.advanceTo(ms);
    return ms;
  }

  findVm(ref: string): SimVmDef | undefined {
    const i = this.byRef.get(ref) ?? this.byRef.get(ref.toLowerCase());
    return i === undefined ? undefined : this.vms[i];
  }

  private vmOn(hostName: string, ref: string): number {
    const h = this.hostIndex.get(hostName);
    if (h === undefined) throw new HostError('InvalidDomain', `no sim host named ${hostName}`);
    const d = this.findVm(ref);
    if (!d || this.state[d.idx].host !== h) throw new HostError('InvalidDomain', `domain ${ref} does not exist on ${hostName}`);
    return d.idx;
  }

  power(hostName: string, ref: string, action: SimPowerAction, at: Date): void {
    const ms = this.commandTime(at);
    const vm = this.vmOn(hostName, ref);
    const st = this.state[vm];
    const name = this.vms[vm].name;
    if (action === 'start') {
      if (st.running) throw new HostError('InvalidState', `domain ${name} is already running`);
      st.offCause = -1;
      this.boot(vm, st.host, ms);
      this.emit(vm, 'boot', ms);
    } else {
      if (!st.running) throw new HostError('InvalidState', `domain ${name} is not running`);
      if (action === 'shutdown') {
        if (st.pendingHalt === null) this.requestHalt(vm, ms);
      } else if (action === 'reboot') {
        this.doReboot(vm, ms);
      } else {
        this.end(vm, ms);
        st.offCause = -1;
        this.emit(vm, 'halt', ms);
      }
    }
    this.log.push({ at: new Date(ms).toISOString(), op: 'power', host: hostName, domain: ref, action });
  }

  migrate(ref: string, toHost: string, at: Date): void {
    const ms = this.commandTime(at);
    const d = this.findVm(ref);
    if (!d) throw new HostError('InvalidDomain', `no domain ${ref} in the fleet`);
    const to = this.hostIndex.get(toHost);
    if (to === undefined) throw new HostError('InvalidDomain', `no sim host named ${toHost}`);
    const st = this.state[d.idx];
    if (!st.running) throw new HostError('InvalidState', `domain ${d.name} is not running`);
    if (st.host === to) throw new HostError('InvalidState', `domain ${d.name} already runs on ${toHost}`);
    this.doMigrate(d.idx, to, ms);
    this.log.push({ at: new Date(ms).toISOString(), op: 'migrate', domain: ref, toHost });
  }

  setHostDown(hostName: string, down: boolean, at: Date): void {
    const ms = this.commandTime(at);
    const h = this.hostIndex.get(hostName);
    if (h === undefined) throw new HostError('InvalidDomain', `no sim host named ${hostName}`);
    this.hosts[h].explicitDown = down;
    this.log.push({ at: new Date(ms).toISOString(), op: 'hostDown', host: hostName, down });
  }

  /** Re-applies a recorded command (state files); invalid ones are skipped as they were refused then too. */
  apply(cmd: SimCommand): void {
    const at = new Date(cmd.at);
    try {
      if (cmd.op === 'power') this.power(cmd.host, cmd.domain, cmd.action, at);
      else if (cmd.op === 'migrate') this.migrate(cmd.domain, cmd.toHost, at);
      else this.setHostDown(cmd.host, cmd.down, at);
    } catch (err) {
      if (!(err instanceof HostError)) throw err;
    }
  }

  /** Down by command, or inside a scheduled outage. Domains on a down host keep running. */
  isHostDown(hostName: string): boolean {
    const h = this.hostIndex.get(hostName);
    if (h === undefined) throw new HostError('InvalidDomain', `no sim host named ${hostName}`);
    return this.hosts[h].explicitDown || this.nowMs < this.hosts[h].outageUntil;
  }

  hasHost(name: string): boolean {
    return this.hostIndex.has(name);
  }

  // ---------- observation ----------

  /** Whether the VM runs now, and where (its last host when shut off). */
  status(ref: string): { running: boolean; host: string; domid: number | null; shuttingDown: boolean } {
    const d = this.findVm(ref);
    if (!d) throw new HostError('InvalidDomain', `no domain ${ref} in the fleet`);
    const st = this.state[d.idx];
    return { running: st.running, host: this.hosts[st.host].name, domid: st.running ? this.current(d.idx).domid : null, shuttingDown: st.pendingHalt !== null };
  }

  incarnations(ref: string): SimIncarnation[] {
    const d = this.findVm(ref);
    if (!d) throw new HostError('InvalidDomain', `no domain ${ref} in the fleet`);
    return this.state[d.idx].incs.map((i) => ({ host: this.hosts[i.host].name, domid: i.domid, start: new Date(i.start), end: i.end === null ? null : new Date(i.end) }));
  }

  /** Running domains of a host at the fleet's current time, as the tools would see them. */
  hostView(hostName: string): SimHostView {
    const hi = this.hostIndex.get(hostName);
    if (hi === undefined) throw new HostError('InvalidDomain', `no sim host named ${hostName}`);
    const h = this.hosts[hi];
    const s = this.sec(this.nowMs);
    const domains: SimDomainView[] = [];
    for (const vm of h.running) domains.push(this.domainView(vm, s));
    domains.sort((a, b) => a.domid - b.domid);
    const hs = hashString(h.name);
    const upBytes = BigInt(s) * BigInt(h.uplinkBps);
    return {
      name: h.name,
      at: this.now,
      totalMemKiB: BigInt(HOST_MEM_MIB) * 1024n,
      cpus: 32,
      dom0: { name: 'Domain-0', domid: 0, vcpus: 4, memKiB: BigInt(DOM0_MEM_MIB) * 1024n, cpuNs: BigInt(s * h.dom0CpuMsPerSec) * 1_000_000n },
      domains,
      uplink: { rxBytes: upBytes, txBytes: (upBytes * 3n) / 5n, rxPackets: upBytes / 900n, txPackets: upBytes / 1100n, ovsUuid: uuidFrom(this.seed, hs, 0xe7) },
      bridgeUuid: uuidFrom(this.seed, hs, 0xb0),
      vbdRsectGarbage: this.options.vbdRsectGarbage ?? false,
      textCache: this.textCache,
    };
  }

  private domainView(vm: number, s: number): SimDomainView {
    const d = this.vms[vm];
    const inc = this.current(vm);
    const c = this.scratch;
    this.bank.eval(vm, s, c);
    const b = inc.base;
    const off = inc.offset;
    const w = (n: number): bigint => (off === 0n ? BigInt(n) : (BigInt(n) + off) % U64);
    return {
      uuid: d.uuid,
      name: d.name,
      domid: inc.domid,
      hvm: d.hvm,
      vcpus: d.vcpus,
      memKiB: BigInt(d.memMiB) * 1024n,
      cpuNs: BigInt(c[S_CPU] - b[S_CPU]) * 1_000_000n,
      busy: rand01(this.seed, vm, s, 0xb5) < 0.3,
      vifs: d.vifs.map((v, i) => {
        const out = c[sVifOut(v.devid)] - b[sVifOut(v.devid)];
        const inn = c[sVifIn(v.devid)] - b[sVifIn(v.devid)];
        return {
          devid: v.devid, mac: v.mac, ovsUuid: this.portUuid(inc.ports[i]), ofport: inc.ports[i].ofport, ifindex: inc.ports[i].ifindex,
          guestTxBytes: w(out), guestTxPackets: w(Math.floor(out / d.pktSize)),
          guestRxBytes: w(inn), guestRxPackets: w(Math.floor(inn / d.pktSize)),
        };
      }),
      emu: inc.emu.map((p, devid) => ({ devid, ovsUuid: this.portUuid(p), ofport: p.ofport, ifindex: p.ifindex, bytes: BigInt(342 + (hash32(this.seed, vm, inc.domid, devid) % 4000)) })),
      vbds: d.vbds.map((v, i) => {
        const rd = c[sVbdRd(i)] - b[sVbdRd(i)];
        const wr = c[sVbdWr(i)] - b[sVbdWr(i)];
        const rdReq = Math.floor(rd / d.sectPerReq);
        return { dev: v.dev, vdev: v.vdev, rdSect: w(rd), wrSect: w(wr), rdReq: w(rdReq), wrReq: w(Math.floor(wr / d.sectPerReq)), ooReq: w(Math.floor(rdReq / 997)) };
      }),
      ovsUuidKey: d.ovsUuidKey,
    };
  }

  /** Truth from fleet start to the fleet's current time. */
  truth(ref: string): SimTruth {
    return this.truthAt(ref, this.now);
  }

  /** Truth from fleet start to t (t must not be after the fleet's current time). */
  truthAt(ref: string, t: Date): SimTruth {
    const d = this.findVm(ref);
    if (!d) throw new HostError('InvalidDomain', `no domain ${ref} in the fleet`);
    const ms = t.getTime();
    if (ms > this.nowMs) throw new RangeError(`sim fleet: advance to ${t.toISOString()} before asking for truth there`);
    const tr: SimTruth = { cpuSeconds: 0n, diskReadBytes: 0n, diskWriteBytes: 0n, netRxBytes: 0n, netTxBytes: 0n, vcpuSeconds: 0, memMibSeconds: 0, uptimeSeconds: 0 };
    const c = new Float64Array(NS);
    for (const inc of this.state[d.idx].incs) {
      if (inc.start > ms) break;
      const ended = inc.end !== null && inc.end <= ms;
      const lastVisible = ended ? (inc.end as number) - 1 : ms;
      const up = ((ended ? (inc.end as number) : ms) - inc.start) / 1000;
      tr.uptimeSeconds += up;
      tr.vcpuSeconds += up * d.vcpus;
      tr.memMibSeconds += up * d.memMiB;
      if (lastVisible < inc.start) continue;
      this.bank.eval(d.idx, this.sec(lastVisible), c);
      const b = inc.base;
      tr.cpuSeconds += BigInt(Math.floor((c[S_CPU] - b[S_CPU]) / 1000));
      for (const v of d.vifs) {
        tr.netTxBytes += BigInt(c[sVifOut(v.devid)] - b[sVifOut(v.devid)]);
        tr.netRxBytes += BigInt(c[sVifIn(v.devid)] - b[sVifIn(v.devid)]);
      }
      for (let i = 0; i < d.vbds.length; i++) {
        tr.diskReadBytes += BigInt(c[sVbdRd(i)] - b[sVbdRd(i)]) * 512n;
        tr.diskWriteBytes += BigInt(c[sVbdWr(i)] - b[sVbdWr(i)]) * 512n;
      }
    }
    return tr;
  }

  // ---------- consoles ----------

  onDomainEvent(uuid: string, fn: (e: SimDomainEvent) => void): () => void {
    let set = this.listeners.get(uuid);
    if (!set) this.listeners.set(uuid, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  private emit(vm: number, kind: SimDomainEvent['kind'], at: number): void {
    const uuid = this.vms[vm].uuid;
    for (const fn of this.listeners.get(uuid) ?? []) fn({ kind, uuid, at });
  }

  /** One console per domain: returns a release function, or throws InvalidState while held. */
  holdConsole(uuid: string, name: string): () => void {
    if (this.consoleHolders.has(uuid)) throw new HostError('InvalidState', `console of ${name} is held by another session`);
    const token = Symbol(uuid);
    this.consoleHolders.set(uuid, token);
    return () => {
      if (this.consoleHolders.get(uuid) === token) this.consoleHolders.delete(uuid);
    };
  }
}

export function createSimFleet(options: SimFleetOptions): SimFleet {
  return new SimFleet(options);
}

/** The benchmark fleet: 1,000 hosts × 20 VMs, built in well under a second. */
export function createLargeSimFleet(seed: number, start: Date, events?: Partial<SimEventRates>): SimFleet {
  return new SimFleet({ seed, start, hosts: 1000, vmsPerHost: 20, events });
}
