// The sim's state at time t depends only on seed, options, t and commands — never on sampling pattern.
import { describe, expect, it } from 'vitest';
import { createSimFleet } from '../../src/hosts/sim/fleet.ts';
import { printOvsInterfaces, printVbdStats, printXentop, printXlListLong, printXlListPlain } from '../../src/hosts/sim/print.ts';
import type { SimFleetOptions } from '../../src/hosts/sim/types.ts';

const T0 = new Date('2026-03-01T00:00:00Z');
const opts: SimFleetOptions = {
  seed: 1234,
  start: T0,
  hosts: 4,
  vmsPerHost: 6,
  hvmShare: 0.5,
  ovsExternalIds: 'some',
  events: { rebootsPerDay: 6, shutdownsPerDay: 4, migrationsPerDay: 3, hostOutagesPerDay: 4 },
};

function snapshot(f: ReturnType<typeof createSimFleet>): string {
  return f.hostNames
    .map((h) => {
      const v = f.hostView(h);
      return [h, String(f.isHostDown(h)), printXentop(v, { full: true }), printXlListPlain(v), printXlListLong(v), printOvsInterfaces(v), printVbdStats(v)].join('\n');
    })
    .join('\n====\n');
}

const at = (sec: number): Date => new Date(T0.getTime() + sec * 1000);

describe('sim determinism', () => {
  it('same seed and options give byte-identical output at the same time', () => {
    const a = createSimFleet(opts);
    const b = createSimFleet(opts);
    a.advanceTo(at(7200));
    b.advanceTo(at(7200));
    expect(snapshot(a)).toBe(snapshot(b));
  });

  it('a different seed gives a different fleet', () => {
    const a = createSimFleet(opts);
    const b = createSimFleet({ ...opts, seed: 1235 });
    expect(a.vms.map((v) => v.uuid)).not.toEqual(b.vms.map((v) => v.uuid));
  });

  it('sampling pattern does not change values: every 10 s vs irregularly vs one jump', () => {
    const dense = createSimFleet(opts);
    const sparse = createSimFleet(opts);
    const jump = createSimFleet(opts);
    const checkpoints = [3600, 4 * 3600, 9 * 3600 + 17, 86400 + 5];
    let next = 0;
    for (let s = 10; s <= checkpoints[checkpoints.length - 1]; s += 10) {
      dense.advanceTo(at(s));
      snapshot(dense); // printing must not disturb state either
      if (s + 10 > checkpoints[next]) {
        dense.advanceTo(at(checkpoints[next]));
        // sparse samples at odd moments (with millisecond parts) before each checkpoint
        sparse.advanceTo(new Date(at(checkpoints[next]).getTime() - 1234.5));
        snapshot(sparse);
        sparse.advanceTo(at(checkpoints[next]));
        jump.advanceTo(at(checkpoints[next]));
        const d = snapshot(dense);
        expect(snapshot(sparse)).toBe(d);
        expect(snapshot(jump)).toBe(d);
        next++;
      }
    }
    expect(next).toBe(checkpoints.length);
  });

  it('scheduled events really happen and are identical across fleets', () => {
    const a = createSimFleet(opts);
    a.advanceTo(at(2 * 86400));
    const b = createSimFleet(opts);
    for (let s = 0; s <= 2 * 86400; s += 997) b.advanceTo(at(s));
    b.advanceTo(at(2 * 86400));
    let boots = 0, hosts = 0;
    for (const vm of a.vms) {
      const ia = a.incarnations(vm.uuid);
      expect(b.incarnations(vm.uuid)).toEqual(ia);
      boots += ia.length - 1;
      hosts += new Set(ia.map((i) => i.host)).size - 1;
      expect(b.truth(vm.uuid)).toEqual(a.truth(vm.uuid));
    }
    // 24 VMs × 2 days × (6 reboots + 4 shutdowns + 3 migrations) per day: a few hundred boots.
    expect(boots).toBeGreaterThan(200);
    expect(hosts).toBeGreaterThan(0);
  });

  it('truth of the past is the same whether asked then or later', () => {
    const f = createSimFleet(opts);
    f.advanceTo(at(5000));
    const then = f.vms.map((v) => f.truth(v.uuid));
    f.advanceTo(at(50_000));
    expect(f.vms.map((v) => f.truthAt(v.uuid, at(5000)))).toEqual(then);
  });

  it('commands are part of the input: the same commands replay to the same state', () => {
    const run = (sampleEvery: number): string => {
      const f = createSimFleet(opts);
      for (let s = 0; s < 600; s += sampleEvery) f.advanceTo(at(s));
      const vm = f.vms[0];
      f.power(f.status(vm.uuid).host, vm.name, 'reboot', at(600));
      f.advanceTo(at(700));
      f.setHostDown('sim-02', true, at(700));
      const other = f.vms[9];
      if (f.status(other.uuid).running) f.migrate(other.uuid, f.status(other.uuid).host === 'sim-03' ? 'sim-04' : 'sim-03', at(800));
      f.advanceTo(at(1500));
      return snapshot(f);
    };
    expect(run(7)).toBe(run(300));
  });
});
