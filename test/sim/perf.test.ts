// Benchmark guard: the sim must stay cheap enough to drive 1,000 hosts × 20 VMs in poll-cycle tests.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { SimAdapter } from '../../src/hosts/sim/adapter.ts';
import { createLargeSimFleet, createSimFleet } from '../../src/hosts/sim/fleet.ts';
import { printOvsInterfaces, printVbdStats, printXentop, printXlListLong } from '../../src/hosts/sim/print.ts';

const T0 = new Date('2026-08-01T00:00:00Z');

/** Best of several batches, in CPU milliseconds per call: robust against other processes sharing the CPU. */
function bestMs(batches: number, perBatch: number, fn: (i: number) => void): number {
  let best = Infinity;
  for (let b = 0; b < batches; b++) {
    const c = process.cpuUsage();
    for (let i = 0; i < perBatch; i++) fn(b * perBatch + i);
    const d = process.cpuUsage(c);
    best = Math.min(best, (d.user + d.system) / 1000 / perBatch);
  }
  return best;
}

describe('sim performance', () => {
  it('builds, advances and samples a 1,000-host × 20-VM fleet quickly', async () => {
    // CPU time, not wall time: two cores are shared with other test runs.
    const c = process.cpuUsage();
    const fleet = createLargeSimFleet(7, T0, { rebootsPerDay: 1, shutdownsPerDay: 0.5, migrationsPerDay: 0.2, hostOutagesPerDay: 1 });
    const cpu = process.cpuUsage(c);
    expect(fleet.vms).toHaveLength(20_000);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(3000);
    let now = T0.getTime() + 3600_000;
    fleet.advanceTo(new Date(now));
    // advancing by one 10 s poll interval
    const advance = bestMs(5, 10, () => fleet.advanceTo(new Date((now += 10_000))));
    expect(advance).toBeLessThan(100);
    // one host's sample: all four tools' output
    const clock = new ManualClock(now);
    const adapters = fleet.hostNames.slice(0, 50).map((h) => new SimAdapter(fleet, h, clock));
    for (const a of adapters) await a.sample().catch(() => null); // warm the static-text memo
    const views = fleet.hostNames.slice(0, 50);
    const sample = bestMs(5, 100, (i) => {
      const v = fleet.hostView(views[i % views.length]);
      printXentop(v, { full: true });
      printXlListLong(v);
      printOvsInterfaces(v);
      printVbdStats(v);
    });
    expect(sample).toBeLessThan(1);
    // a simulated day on a small fleet is quick as well
    const small = createSimFleet({ seed: 8, start: T0, hosts: 5, vmsPerHost: 20, events: { rebootsPerDay: 4, shutdownsPerDay: 2, migrationsPerDay: 2, hostOutagesPerDay: 2 } });
    const d = process.cpuUsage();
    small.advanceTo(new Date(T0.getTime() + 86400_000));
    const dayCpu = process.cpuUsage(d);
    expect((dayCpu.user + dayCpu.system) / 1000).toBeLessThan(500);
    // …and sampling it every 10 s for an hour stays cheap too
    const s = process.cpuUsage();
    for (let t = 0; t < 360; t++) {
      small.advanceTo(new Date(T0.getTime() + 86400_000 + t * 10_000));
      for (const h of small.hostNames) printXentop(small.hostView(h), { full: true });
    }
    const sampled = process.cpuUsage(s);
    expect((sampled.user + sampled.system) / 1000).toBeLessThan(2000);
  }, 60_000);
});
