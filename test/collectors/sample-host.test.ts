// The collector keeps the last `xl list -l` parse per host and sends its digest with the next sample: an
// unchanged domain configuration is not sent again; a change, or a host that cannot hash, sends the text.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { parseRawSample, sampleHost } from '../../src/collectors/sample-host.ts';
import { SimAdapter } from '../../src/hosts/sim/adapter.ts';
import { SimFleet } from '../../src/hosts/sim/fleet.ts';
import type { RawSample, SampleOptions } from '../../src/hosts/types.ts';

const start = new Date('2026-03-01T00:00:00Z');

function recordingAdapter() {
  const clock = new ManualClock(start);
  const fleet = new SimFleet({ seed: 3, start, hosts: 1, vmsPerHost: 3, events: { rebootsPerDay: 0, shutdownsPerDay: 0, migrationsPerDay: 0, hostOutagesPerDay: 0 } });
  const host = fleet.hostNames[0];
  const inner = new SimAdapter(fleet, host, clock);
  const seen: Array<{ asked?: string; got: RawSample }> = [];
  const adapter = Object.assign(Object.create(inner) as SimAdapter, {
    async sample(o?: SampleOptions) {
      const got = await inner.sample(o);
      seen.push({ asked: o?.xlDigest, got });
      return got;
    },
  });
  return { adapter, seen, clock, fleet, host };
}

describe('xl list -l sent only when it changed', () => {
  it('second poll: digest sent, "unchanged" back, same VMs; after a reboot (new domid) the text comes again', async () => {
    const { adapter, seen, clock, fleet, host } = recordingAdapter();
    const first = await sampleHost(adapter);
    expect(seen[0].asked).toBeUndefined();
    expect(seen[0].got.xlList.length).toBeGreaterThan(100);
    clock.advance(10_000);
    const second = await sampleHost(adapter);
    expect(seen[1].asked).toBe(seen[0].got.xlDigest);
    expect(seen[1].got).toMatchObject({ xlList: '', xlUnchanged: true });
    expect(second.vms.map((v) => [v.uuid, v.domid])).toEqual(first.vms.map((v) => [v.uuid, v.domid]));
    const vm = first.vms[0];
    fleet.power(host, vm.uuid, 'reboot', clock.now());
    clock.advance(120_000);
    const third = await sampleHost(adapter);
    expect(seen[2].got.xlUnchanged).toBeUndefined();
    expect(seen[2].got.xlList.length).toBeGreaterThan(100);
    expect(third.vms.find((v) => v.uuid === vm.uuid)?.domid).not.toBe(vm.domid);
  });

  it('refuses "unchanged" for a digest it does not hold, and a digest that does not match the text sent', async () => {
    const { adapter } = recordingAdapter();
    const raw = await adapter.sample();
    const key = {};
    expect(() => parseRawSample({ ...raw, xlList: '', xlUnchanged: true }, key)).toThrow(/says xl list -l is unchanged, but not from the text this collector parsed last/);
    expect(() => parseRawSample({ ...raw, xlDigest: '0'.repeat(64) }, key)).toThrow(/digest 0{64} does not match the text it sent/);
    expect(parseRawSample(raw, key).vms).toHaveLength(3);
    expect(parseRawSample({ ...raw, xlList: '', xlUnchanged: true }, key).vms).toHaveLength(3);
  });

  it('a host without sha256sum (no digest) always sends the text and is never asked with one', async () => {
    const { adapter, seen } = recordingAdapter();
    const plain = Object.assign(Object.create(adapter) as SimAdapter, {
      async sample(o?: SampleOptions) {
        const r = await adapter.sample(o);
        return { ...r, xlDigest: undefined };
      },
    });
    await sampleHost(plain);
    await sampleHost(plain);
    expect(seen.map((s) => s.asked)).toEqual([undefined, undefined]);
  });
});
