// Benchmark guard: the sim must stay cheap enough to drive 1,000 hosts × 20 VMs in poll-cycle tests.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { SimAdapter } from '../../src/hosts/sim/adapter.ts';
import { createLargeSimFleet } from '../../src/hosts/sim/fleet.ts';

const T0 = new Date('2026-08-01T00:00:00Z');

/** Best of several batches: robust against other processes sharing the CPU. */
function bestMs(batches: number, perBatch: number, fn: (i: number) => void): number {
  let best = Infinity;
  for (let b = 0; b < batches; b++) {
    const t = performance.now();
    for (let i = 0; i < perBatch; i++) fn(b * perBatch + i);
    best = Math.min(best, (performance.now() - t) / perBatch);
  }
  return best;
}

describe('sim performance', () => {
  it('builds, advances and samples a 1,000-host × 20-VM fleet quickly', async () => {
    const t = performance.now();
    const fleet = createLargeSimFleet(7, T0, { rebootsPerDay: 1, shutdownsPerDay: 0.5, migrationsPerDay: 0.2, hostOutagesPerDay: 1 });
    const buildMs = performance.now() - t;
    expect(fleet.vms).toHaveLength(20_000);
    expect(buildMs).toBeLessThan(3000);
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
    const { printXentop, printXlListLong, printOvsInterfaces, printVbdStats } = await import('../../src/hosts/sim/print.ts');
    const sample = bestMs(5, 100, (i) => {
      const v = fleet.hostView(views[i % views.length]);
      printXentop(v, { full: true });
      printXlListLong(v);
      printOvsInterfaces(v);
      printVbdStats(v);
    });
    expect(sample).toBeLessThan(1);
    // a simulated day on a small fleet is quick as well
    const day = performance.now();
    fleet.advanceTo(new Date(now + 86400_000));
    expect(performance.now() - day).toBeLessThan(5000);
  }, 60_000);
});
