// Truth accounting: a collector that samples the printed counters (through the real parsers) at any
// times — including each incarnation's last visible millisecond — measures exactly the sim's truth.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { parseOvsInterfaces, parseVbdStats, parseXentop, parseXlListLong } from '../../src/hosts/parsers/index.ts';
import { SimAdapter } from '../../src/hosts/sim/adapter.ts';
import { createSimFleet } from '../../src/hosts/sim/fleet.ts';
import { hash32 } from '../../src/hosts/sim/prng.ts';
import type { SimFleetOptions, SimTruth } from '../../src/hosts/sim/types.ts';

const T0 = new Date('2026-04-01T00:00:00Z');
const U64 = 1n << 64n;
type Totals = { cpuSeconds: bigint; diskReadBytes: bigint; diskWriteBytes: bigint; netRxBytes: bigint; netTxBytes: bigint };
const zero = (): Totals => ({ cpuSeconds: 0n, diskReadBytes: 0n, diskWriteBytes: 0n, netRxBytes: 0n, netTxBytes: 0n });

/** A minimal collector: per (uuid, host, domid, counter) last value; a new domid counts from 0; a drop within one domid is a 64-bit wrap. */
class MiniCollector {
  readonly totals = new Map<string, Totals>();
  private readonly last = new Map<string, bigint>();
  private first = true;

  private add(uuid: string, key: string, field: keyof Totals, value: bigint, scale = 1n): void {
    const prev = this.last.get(`${uuid}/${key}`);
    this.last.set(`${uuid}/${key}`, value);
    if (this.first) return; // baseline
    const delta = prev === undefined ? value : value >= prev ? value - prev : U64 - prev + value;
    const t = this.totals.get(uuid) ?? zero();
    t[field] += delta * scale;
    this.totals.set(uuid, t);
  }

  ingest(host: string, s: { xlList: string; xentop: string; ovs: string; vbd: string }): void {
    const doms = parseXlListLong(s.xlList).filter((d) => d.domid !== 0);
    const xt = new Map(parseXentop(s.xentop).map((r) => [r.name, r]));
    const ovs = new Map(parseOvsInterfaces(s.ovs).map((i) => [i.name, i]));
    const vbd = parseVbdStats(s.vbd);
    for (const d of doms) {
      const uuid = d.uuid as string;
      const inc = `${host}/${d.domid}`; // domids are per host: a migrated VM may get the same number elsewhere
      this.add(uuid, `${inc}/cpu`, 'cpuSeconds', xt.get(d.name)?.cpuSeconds ?? 0n);
      for (const v of d.vifs ?? []) {
        const row = ovs.get(`vif${d.domid}.${v.devid}`);
        if (!row) throw new Error(`no OVS row for vif${d.domid}.${v.devid}`);
        this.add(uuid, `${inc}/vif${v.devid}/rx`, 'netTxBytes', row.statistics.rx_bytes); // port rx = guest egress
        this.add(uuid, `${inc}/vif${v.devid}/tx`, 'netRxBytes', row.statistics.tx_bytes); // port tx = guest ingress
      }
      for (const b of vbd.filter((x) => x.domid === d.domid)) {
        this.add(uuid, `${inc}/${b.dev}/rd`, 'diskReadBytes', b.rdSect, 512n);
        this.add(uuid, `${inc}/${b.dev}/wr`, 'diskWriteBytes', b.wrSect, 512n);
      }
    }
  }

  endBaseline(): void {
    this.first = false;
  }
}

const counters = (t: SimTruth): Totals => ({ cpuSeconds: t.cpuSeconds, diskReadBytes: t.diskReadBytes, diskWriteBytes: t.diskWriteBytes, netRxBytes: t.netRxBytes, netTxBytes: t.netTxBytes });
const minus = (a: Totals, b: Totals): Totals => ({
  cpuSeconds: a.cpuSeconds - b.cpuSeconds, diskReadBytes: a.diskReadBytes - b.diskReadBytes, diskWriteBytes: a.diskWriteBytes - b.diskWriteBytes,
  netRxBytes: a.netRxBytes - b.netRxBytes, netTxBytes: a.netTxBytes - b.netTxBytes,
});

async function conservation(opts: SimFleetOptions, seconds: number, meanGap: number): Promise<{ vms: number; boots: number }> {
  // A twin fleet tells us where incarnations end, so the collector can also sample their last millisecond.
  const twin = createSimFleet(opts);
  const endMs = T0.getTime() + seconds * 1000;
  twin.advanceTo(new Date(endMs));
  const times = new Set<number>();
  let boots = 0;
  for (const vm of twin.vms) {
    for (const inc of twin.incarnations(vm.uuid)) {
      if (inc.end && inc.end.getTime() <= endMs) {
        times.add(inc.end.getTime() - 1);
        boots++;
      }
    }
  }
  const t0 = T0.getTime() + 5000;
  for (let t = t0, k = 0; t <= endMs; k++) {
    times.add(t);
    t += 1 + (hash32(opts.seed, k) % (2 * meanGap * 1000));
  }
  times.add(endMs);
  const sorted = [...times].filter((t) => t >= t0).sort((a, b) => a - b);

  const fleet = createSimFleet(opts);
  const clock = new ManualClock(sorted[0]);
  const adapters = fleet.hostNames.map((h) => [h, new SimAdapter(fleet, h, clock)] as const);
  const col = new MiniCollector();
  for (const [i, t] of sorted.entries()) {
    clock.set(t);
    for (const [h, a] of adapters) col.ingest(h, await a.sample());
    if (i === 0) col.endBaseline();
  }
  for (const vm of fleet.vms) {
    const truth = minus(counters(fleet.truthAt(vm.uuid, new Date(sorted[sorted.length - 1]))), counters(fleet.truthAt(vm.uuid, new Date(sorted[0]))));
    expect({ vm: vm.name, ...(col.totals.get(vm.uuid) ?? zero()) }).toEqual({ vm: vm.name, ...truth });
  }
  return { vms: fleet.vms.length, boots };
}

describe('sim truth', () => {
  it('a collector sampling irregularly measures exactly the truth across reboots, shutdowns and migrations', async () => {
    const r = await conservation(
      { seed: 4242, start: T0, hosts: 3, vmsPerHost: 3, hvmShare: 0.5, events: { rebootsPerDay: 24, shutdownsPerDay: 12, migrationsPerDay: 12 } },
      6 * 3600,
      90,
    );
    expect(r.boots).toBeGreaterThan(10);
  });

  it('wrapping counters are conserved by a wrap-aware collector', async () => {
    const probe = createSimFleet({ seed: 77, start: T0, hosts: 1, vmsPerHost: 2 });
    await conservation({ seed: 77, start: T0, hosts: 1, vmsPerHost: 2, counterOffsets: { [probe.vms[0].uuid]: U64 - 5_000_000n } }, 3600, 60);
  });

  it('gauge truth integrates running time: uptime, vcpu-seconds and MiB-seconds', () => {
    const fleet = createSimFleet({ seed: 8, start: T0, hosts: 1, vmsPerHost: 2 });
    const vm = fleet.vms[0];
    fleet.advanceTo(new Date(T0.getTime() + 1000_500));
    fleet.power('sim-01', vm.name, 'destroy', new Date(T0.getTime() + 1000_500));
    fleet.advanceTo(new Date(T0.getTime() + 2000_000));
    fleet.power('sim-01', vm.name, 'start', new Date(T0.getTime() + 2000_000));
    fleet.advanceTo(new Date(T0.getTime() + 2500_000));
    const t = fleet.truth(vm.uuid);
    expect(t.uptimeSeconds).toBe(1000.5 + 500);
    expect(t.vcpuSeconds).toBe(1500.5 * vm.vcpus);
    expect(t.memMibSeconds).toBe(1500.5 * vm.memMiB);
    // CPU truth is whole printed seconds per incarnation and never exceeds what the vcpus allow.
    expect(Number(t.cpuSeconds)).toBeLessThanOrEqual(1500.5 * vm.vcpus);
    expect(fleet.truthAt(vm.uuid, new Date(T0.getTime() + 1500_000))).toEqual(fleet.truthAt(vm.uuid, new Date(T0.getTime() + 1900_000)));
    expect(() => fleet.truthAt(vm.uuid, new Date(T0.getTime() + 9999_000))).toThrow(/advance/);
  });
});
