// Power rules, reboot/migration effects, host outages and counter wrap in the simulated fleet.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { parseOvsInterfaces, parseVbdStats, parseXentop, parseXlListLong } from '../../src/hosts/parsers/index.ts';
import { SimAdapter } from '../../src/hosts/sim/adapter.ts';
import { createSimFleet, SHUTDOWN_MS } from '../../src/hosts/sim/fleet.ts';
import { HostError } from '../../src/hosts/types.ts';

const T0 = new Date('2026-03-01T00:00:00Z');
const at = (sec: number): Date => new Date(T0.getTime() + sec * 1000);

function setup() {
  const fleet = createSimFleet({ seed: 99, start: T0, hosts: 3, vmsPerHost: 4, hvmShare: 1 });
  const clock = new ManualClock(at(600));
  const adapters = Object.fromEntries(fleet.hostNames.map((h) => [h, new SimAdapter(fleet, h, clock)]));
  return { fleet, clock, adapters };
}

async function domain(a: SimAdapter, uuid: string) {
  const s = await a.sample();
  const xl = parseXlListLong(s.xlList).find((d) => d.uuid === uuid);
  if (!xl) return null;
  const xt = parseXentop(s.xentop).find((r) => r.name === xl.name);
  const vifs = parseOvsInterfaces(s.ovs).filter((i) => i.name.startsWith(`vif${xl.domid}.`));
  const vbds = parseVbdStats(s.vbd).filter((v) => v.domid === xl.domid);
  return { xl, xt, vifs, vbds };
}

async function expectHostError(p: Promise<unknown>, code: HostError['code'], msg: RegExp): Promise<void> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(HostError);
  expect((err as HostError).code).toBe(code);
  expect((err as HostError).message).toMatch(msg);
}

describe('sim lifecycle', () => {
  it('reboot resets counters, changes the domid and renames the vifs (and -emu twins)', async () => {
    const { fleet, clock, adapters } = setup();
    const vm = fleet.vms[1];
    const a = adapters['sim-01'];
    const before = await domain(a, vm.uuid);
    expect(before?.xt?.cpuSeconds).toBeGreaterThan(0n);
    expect(before?.vifs.some((i) => i.name.endsWith('-emu'))).toBe(true);
    await a.power(vm.name, 'reboot');
    clock.advance(30_000);
    const after = await domain(a, vm.uuid);
    expect(after).not.toBeNull();
    expect(after?.xl.domid).not.toBe(before?.xl.domid);
    expect(after?.xt?.cpuSeconds ?? 0n).toBeLessThan(before?.xt?.cpuSeconds ?? 0n);
    expect(after?.vifs.map((i) => i.name).sort()).toEqual(vm.vifs.flatMap((v) => [`vif${after?.xl.domid}.${v.devid}`, `vif${after?.xl.domid}.${v.devid}-emu`]).sort());
    for (const v of after?.vbds ?? []) expect(v.rdSect).toBeLessThan(before?.vbds.find((b) => b.dev === v.dev)?.rdSect ?? 0n);
    const rows = parseOvsInterfaces((await a.sample()).ovs);
    expect(rows.some((r) => r.name.startsWith(`vif${before?.xl.domid}.`))).toBe(false);
    expect(fleet.incarnations(vm.uuid)).toHaveLength(2);
  });

  it('enforces power rules with InvalidState and completes shutdown after a few seconds', async () => {
    const { fleet, clock, adapters } = setup();
    const vm = fleet.vms[2];
    const a = adapters['sim-01'];
    await expectHostError(a.power(vm.name, 'start'), 'InvalidState', /already running/);
    await a.power(vm.uuid, 'shutdown');
    clock.advance(SHUTDOWN_MS - 1);
    expect(await domain(a, vm.uuid)).not.toBeNull(); // still shutting down
    clock.advance(1);
    expect(await domain(a, vm.uuid)).toBeNull();
    for (const action of ['shutdown', 'reboot', 'destroy'] as const) {
      await expectHostError(a.power(vm.name, action), 'InvalidState', /not running/);
    }
    clock.advance(5000);
    await a.power(vm.name, 'start');
    expect((await domain(a, vm.uuid))?.xt?.cpuSeconds).toBe(0n);
    await a.power(vm.name, 'destroy');
    expect(await domain(a, vm.uuid)).toBeNull();
    await expectHostError(a.power('no-such-vm', 'start'), 'InvalidDomain', /does not exist/);
    await expectHostError(adapters['sim-02'].power(vm.name, 'start'), 'InvalidDomain', /does not exist on sim-02/);
    await expectHostError(a.power('bad name; rm -rf /', 'start'), 'InvalidDomain', /not a Xen UUID/);
    expect(fleet.commands.map((c) => (c.op === 'power' ? c.action : c.op))).toEqual(['shutdown', 'start', 'destroy']);
  });

  it('migration moves the domain to another host with a new domid and fresh counters', async () => {
    const { fleet, clock, adapters } = setup();
    const vm = fleet.vms[0];
    const before = await domain(adapters['sim-01'], vm.uuid);
    fleet.migrate(vm.uuid, 'sim-03', clock.now());
    expect(await domain(adapters['sim-01'], vm.uuid)).toBeNull();
    clock.advance(20_000);
    const after = await domain(adapters['sim-03'], vm.uuid);
    expect(after?.xl.name).toBe(vm.name);
    expect(after?.xt?.cpuSeconds ?? 99999n).toBeLessThan(before?.xt?.cpuSeconds ?? 0n);
    expect(fleet.status(vm.uuid)).toMatchObject({ running: true, host: 'sim-03' });
    expect(() => fleet.migrate(vm.uuid, 'sim-03', clock.now())).toThrow(/already runs on sim-03/);
  });

  it('a down host throws HostUnreachable while its domains keep running and counting', async () => {
    const { fleet, clock, adapters } = setup();
    const a = adapters['sim-02'];
    const vm = fleet.vms[5];
    const before = await domain(a, vm.uuid);
    fleet.setHostDown('sim-02', true, clock.now());
    clock.advance(3600_000);
    await expectHostError(a.sample(), 'HostUnreachable', /sim-02/);
    await expectHostError(a.listDomains(), 'HostUnreachable', /sim-02/);
    await expectHostError(a.power(vm.name, 'reboot'), 'HostUnreachable', /sim-02/);
    await adapters['sim-01'].sample(); // other hosts answer
    fleet.setHostDown('sim-02', false, clock.now());
    const after = await domain(a, vm.uuid);
    expect(after?.xl.domid).toBe(before?.xl.domid);
    expect(after?.xt?.cpuSeconds ?? 0n).toBeGreaterThan(before?.xt?.cpuSeconds ?? 0n);
    expect(fleet.truth(vm.uuid).uptimeSeconds).toBe(600 + 3600);
  });

  it('scheduled host outages make the host unreachable for a while', () => {
    const fleet = createSimFleet({ seed: 5, start: T0, hosts: 2, vmsPerHost: 1, events: { hostOutagesPerDay: 24 } });
    let downSeconds = 0;
    for (let s = 0; s < 86400; s += 30) {
      fleet.advanceTo(at(s));
      if (fleet.isHostDown('sim-01')) downSeconds += 30;
    }
    expect(downSeconds).toBeGreaterThan(0);
    expect(downSeconds).toBeLessThan(86400);
  });

  it('a counter started near 2^64 wraps and reports the wrapped low value; VBD_RSECT garbage on request', async () => {
    const probe = createSimFleet({ seed: 99, start: T0, hosts: 1, vmsPerHost: 2 });
    const name = probe.vms[0].name;
    const fleet = createSimFleet({ seed: 99, start: T0, hosts: 1, vmsPerHost: 2, counterOffsets: { [name]: (1n << 64n) - 100_000n }, vbdRsectGarbage: true });
    const clock = new ManualClock(at(0));
    const a = new SimAdapter(fleet, 'sim-01', clock);
    const early = await domain(a, fleet.vms[0].uuid);
    const vif = early?.vifs.find((i) => i.name.endsWith('.0'));
    expect(vif?.statistics.tx_bytes).toBe((1n << 64n) - 100_000n);
    expect(early?.vbds[0].wrSect).toBe((1n << 64n) - 100_000n);
    clock.set(at(3600));
    const late = await domain(a, fleet.vms[0].uuid);
    const vif2 = late?.vifs.find((i) => i.name.endsWith('.0'));
    expect(vif2?.statistics.tx_bytes).toBeLessThan(1n << 40n);
    expect(late?.vbds[0].rdSect).toBeLessThan(1n << 40n);
    expect(late?.xt?.vbdRsect).toBe(18446744073562662986n);
    // the other VM is untouched by the offset
    const other = await domain(a, fleet.vms[1].uuid);
    expect(other?.vifs[0].statistics.rx_bytes).toBeLessThan(1n << 40n);
  });
});
