// Joining one poll's tool outputs into per-VM samples: names → UUID/domid, OVS ports → VMs, VBDs from sysfs.
import { describe, expect, it } from 'vitest';
import { joinPoll, type ParsedPoll } from '../../src/collectors/join.ts';
import { parseRawSample } from '../../src/collectors/sample-host.ts';
import type { OvsInterface, XentopRow, XlDomain } from '../../src/hosts/parsers/types.ts';
import { SimAdapter } from '../../src/hosts/sim/adapter.ts';
import { createSimFleet } from '../../src/hosts/sim/fleet.ts';
import { ManualClock } from '../../src/clock.ts';

const U1 = 'aaaaaaaa-0000-4000-8000-000000000001';
const U2 = 'aaaaaaaa-0000-4000-8000-000000000002';
const U3 = 'aaaaaaaa-0000-4000-8000-000000000003';

const xt = (name: string, over: Partial<XentopRow> = {}): XentopRow => ({
  name, state: '--b---', cpuSeconds: 10n, cpuPercent: 0, memKiB: 1048576n, memPercent: 1, maxMemKiB: 1048576n, maxMemPercent: 1,
  vcpus: 2, nets: 1, netTxKiB: 7n, netRxKiB: 3n, vbds: 1, vbdOo: 0n, vbdRd: 0n, vbdWr: 0n, vbdRsect: 18446744073562662986n, vbdWsect: 0n, ssid: 0, ...over,
});
const xl = (domid: number, name: string, uuid: string | null): XlDomain => ({ domid, name, uuid, state: null, memoryMiB: 1024, vcpus: 2 });
const port = (name: string, rx: bigint, tx: bigint, ext: Record<string, string> = {}): OvsInterface => ({
  name, ofport: 1, statistics: { rx_bytes: rx, tx_bytes: tx, rx_packets: 1n, tx_packets: 1n }, externalIds: ext,
});

function poll(over: Partial<ParsedPoll> = {}): ParsedPoll {
  return {
    takenAt: new Date('2025-03-01T00:00:00Z'),
    xentop: [xt('Domain-0', { vcpus: 4 }), xt('web-01'), xt('db-01', { state: '-----r' }), xt('hvm-01')],
    xl: [xl(0, 'Domain-0', null), xl(5, 'web-01', U1), xl(6, 'db-01', U2), xl(9, 'hvm-01', U3)],
    ovs: [],
    vbd: [],
    ...over,
  };
}

describe('joinPoll', () => {
  it('keys VMs by UUID via xl list names; Domain-0 is never a VM', () => {
    const s = joinPoll(poll());
    expect(s.vms.map((v) => [v.uuid, v.name, v.domid, v.state])).toEqual([
      [U1, 'web-01', 5, 'blocked'], [U2, 'db-01', 6, 'running'], [U3, 'hvm-01', 9, 'blocked'],
    ]);
    expect(s.vms.some((v) => v.name === 'Domain-0')).toBe(false);
  });

  it('maps OVS ports by external_ids first, else by vif<domid>.<devid>; ignores -emu twins and non-vif ports', () => {
    const s = joinPoll(poll({
      ovs: [
        port('vif5.0', 100n, 200n, { 'xs-vm-uuid': U1 }),
        port('vif6.0', 300n, 400n),
        port('vif6.1', 5n, 6n, { 'vm-uuid': U2 }),
        port('vif9.0', 700n, 800n, { 'xen-vm-uuid': U3 }),
        port('vif9.0-emu', 99999n, 99999n, { 'xen-vm-uuid': U3 }),
        port('eth0', 1n << 40n, 1n << 40n),
        port('xenbr0', 1n, 1n),
        port('vif77.0', 1n, 1n), // no domain 77 here
      ],
    }));
    const c = Object.fromEntries(s.vms.map((v) => [v.name, v.counters]));
    expect(c['web-01']).toMatchObject({ 'vif:0:rx_bytes': 100n, 'vif:0:tx_bytes': 200n });
    expect(c['db-01']).toMatchObject({ 'vif:0:rx_bytes': 300n, 'vif:0:tx_bytes': 400n, 'vif:1:rx_bytes': 5n, 'vif:1:tx_bytes': 6n });
    expect(c['hvm-01']).toMatchObject({ 'vif:0:rx_bytes': 700n, 'vif:0:tx_bytes': 800n });
    const vifKeys = s.vms.flatMap((v) => Object.keys(v.counters).filter((k) => k.startsWith('vif:')));
    expect(vifKeys).toHaveLength(8);
  });

  it('a port whose external_ids name a VM but whose name has an old domid is a stale port, not the VM', () => {
    const s = joinPoll(poll({ ovs: [port('vif4.0', 1n, 2n, { 'xs-vm-uuid': U1 })] }));
    expect(Object.keys(s.vms[0]!.counters).some((k) => k.startsWith('vif:'))).toBe(false);
    expect(s.skipped.join('\n')).toMatch(/stale port/);
  });

  it('keeps xentop network counters under their own keys and never reads VBD_RSECT; VBDs come from sysfs', () => {
    const s = joinPoll(poll({ vbd: [{ domid: 5, dev: 51712, rdSect: 11n, wrSect: 22n, rdReq: 1n, wrReq: 1n, ooReq: 0n }] }));
    expect(s.vms[0]!.counters).toEqual({ cpu: 10n, 'xt:nettx_kib': 7n, 'xt:netrx_kib': 3n, 'vbd:51712:rd_sect': 11n, 'vbd:51712:wr_sect': 22n });
    expect(JSON.stringify(s.vms.map((v) => Object.values(v.counters).map(String)))).not.toContain('18446744073562662986');
  });

  it('skips rows it cannot attribute, saying why', () => {
    const s = joinPoll(poll({
      xentop: [xt('Domain-0'), xt('ghost'), xt('web-01'), xt('web-01--incoming')],
      xl: [xl(0, 'Domain-0', null), xl(5, 'web-01', U1), xl(12, 'web-01--incoming', U1)],
    }));
    expect(s.vms.map((v) => v.name)).toEqual(['web-01']);
    expect(s.skipped).toEqual([expect.stringMatching(/^ghost: in xentop but not in xl list/), expect.stringMatching(/^web-01--incoming: live migration/)]);
  });

  it('joins what the simulated host prints (through the real parsers) back to the sim state', async () => {
    const start = new Date('2025-03-01T00:00:00Z');
    const fleet = createSimFleet({ seed: 3, start, hosts: 1, vmsPerHost: 8, hvmShare: 0.5, ovsExternalIds: 'some' });
    const clock = new ManualClock(start.getTime() + 3_600_000);
    const raw = await new SimAdapter(fleet, fleet.hostNames[0]!, clock).sample();
    const s = parseRawSample(raw);
    const view = fleet.hostView(fleet.hostNames[0]!);
    expect(s.vms).toHaveLength(8);
    for (const d of view.domains) {
      const vm = s.vms.find((v) => v.uuid === d.uuid)!;
      expect(vm.domid).toBe(d.domid);
      for (const v of d.vifs) {
        // OVS rx_bytes on the port = what the guest sent.
        expect(vm.counters[`vif:${v.devid}:rx_bytes`]).toBe(v.guestTxBytes);
        expect(vm.counters[`vif:${v.devid}:tx_bytes`]).toBe(v.guestRxBytes);
      }
      for (const b of d.vbds) expect(vm.counters[`vbd:${b.dev}:rd_sect`]).toBe(b.rdSect);
    }
    expect(view.domains.some((d) => d.emu.length > 0)).toBe(true);
  });
});
