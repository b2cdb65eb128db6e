// Table-driven metering rules for computeDeltas (pure, no database).
import { describe, expect, it } from 'vitest';
import { computeDeltas, ZERO_USAGE, type DeltaContext, type MeterState, type UsageDelta } from '../../src/collectors/deltas.ts';
import type { VmSample } from '../../src/collectors/sample.ts';

const H1 = '00000000-0000-4000-8000-0000000000a1';
const H2 = '00000000-0000-4000-8000-0000000000a2';
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const at = (sec: number) => new Date(T0 + sec * 1000);

const state = (over: Partial<MeterState> = {}): MeterState => ({
  hostId: H1,
  domid: 7,
  sampledAt: at(0),
  state: 'running',
  vcpus: 2,
  memoryKiB: 1024n * 1024n, // 1 GiB
  counters: { cpu: 100n, 'vbd:51712:rd_sect': 1000n, 'vbd:51712:wr_sect': 2000n, 'vif:0:rx_bytes': 5000n, 'vif:0:tx_bytes': 9000n, 'xt:nettx_kib': 10n, 'xt:netrx_kib': 4n },
  ...over,
});
const sample = (over: Partial<VmSample> = {}): VmSample => ({
  uuid: '11111111-2222-4333-8444-555555555555',
  name: 'vm1',
  domid: 7,
  state: 'running',
  vcpus: 2,
  memoryKiB: 2048n * 1024n,
  nets: 1,
  counters: { cpu: 130n, 'vbd:51712:rd_sect': 1100n, 'vbd:51712:wr_sect': 2400n, 'vif:0:rx_bytes': 6000n, 'vif:0:tx_bytes': 12000n, 'xt:nettx_kib': 13n, 'xt:netrx_kib': 5n },
  ...over,
});
const ctx = (over: Partial<DeltaContext> = {}): DeltaContext => ({ hostId: H1, takenAt: at(60), hostLastSuccessAt: at(0), ...over });
const usage = (over: Partial<UsageDelta>): UsageDelta => ({ ...ZERO_USAGE, ...over });
// 60 s of 2 vcpus and 1 GiB, the previous sample's gauges.
const gauges60 = { vcpuMs: 120_000n, memMibMs: 1024n * 60_000n, uptimeMs: 60_000n };

interface Case {
  name: string;
  prev: MeterState | undefined;
  sample: VmSample;
  ctx: DeltaContext;
  basis: string;
  usage: UsageDelta | null;
  anomalies?: string[];
}

const cases: Case[] = [
  {
    name: 'normal growth: counter deltas, OVS directions from the VM point of view, gauges of the previous sample',
    prev: state(),
    sample: sample(),
    ctx: ctx(),
    basis: 'continued',
    // OVS rx_bytes (port received from guest) +1000 = guest egress = net_tx; tx_bytes +3000 = guest ingress = net_rx.
    usage: usage({ cpuSeconds: 30n, diskReadBytes: 100n * 512n, diskWriteBytes: 400n * 512n, netTxBytes: 1000n, netRxBytes: 3000n, ...gauges60 }),
  },
  {
    name: 'reset (counter went down): delta is the new value, never negative',
    prev: state(),
    sample: sample({ counters: { cpu: 130n, 'vbd:51712:rd_sect': 1100n, 'vbd:51712:wr_sect': 2400n, 'vif:0:rx_bytes': 40n, 'vif:0:tx_bytes': 12000n } }),
    ctx: ctx(),
    basis: 'continued',
    usage: usage({ cpuSeconds: 30n, diskReadBytes: 100n * 512n, diskWriteBytes: 400n * 512n, netTxBytes: 40n, netRxBytes: 3000n, ...gauges60 }),
  },
  {
    name: '64-bit wrap: the new value, not a 2^64-wrapped delta',
    prev: state({ counters: { 'vif:0:rx_bytes': (1n << 64n) - 100n, 'vif:0:tx_bytes': 0n } }),
    sample: sample({ counters: { 'vif:0:rx_bytes': 50n, 'vif:0:tx_bytes': 0n } }),
    ctx: ctx(),
    basis: 'continued',
    usage: usage({ netTxBytes: 50n, ...gauges60 }),
  },
  {
    name: 'new domid (reboot): every counter from zero, gauges not integrated across the boundary',
    prev: state(),
    sample: sample({ domid: 8, counters: { cpu: 5n, 'vbd:51712:rd_sect': 10n, 'vif:0:rx_bytes': 70n, 'vif:0:tx_bytes': 80n } }),
    ctx: ctx(),
    basis: 'new-incarnation',
    usage: usage({ cpuSeconds: 5n, diskReadBytes: 10n * 512n, netTxBytes: 70n, netRxBytes: 80n }),
  },
  {
    name: 'migration (same domid on another host): new incarnation',
    prev: state(),
    sample: sample({ counters: { cpu: 3n, 'xt:nettx_kib': 2n, 'xt:netrx_kib': 1n } }),
    ctx: ctx({ hostId: H2 }),
    basis: 'new-incarnation',
    usage: usage({ cpuSeconds: 3n, netRxBytes: 2048n, netTxBytes: 1024n }),
  },
  {
    name: 'first poll of a newly added host: baseline only',
    prev: undefined,
    sample: sample(),
    ctx: ctx({ hostLastSuccessAt: null }),
    basis: 'baseline',
    usage: usage({}),
  },
  {
    name: 'first poll of a new host is baseline even for a VM known from another host',
    prev: state({ hostId: H2 }),
    sample: sample(),
    ctx: ctx({ hostLastSuccessAt: null }),
    basis: 'baseline',
    usage: usage({}),
  },
  {
    name: 'VM appearing later on an already polled host: booted since, all of its counters',
    prev: undefined,
    sample: sample(),
    ctx: ctx({ hostLastSuccessAt: at(-100) }), // 160 s since the host's last poll: 130 CPU s on 2 vcpus is possible
    basis: 'booted-since',
    usage: usage({ cpuSeconds: 130n, diskReadBytes: 1100n * 512n, diskWriteBytes: 2400n * 512n, netTxBytes: 6000n, netRxBytes: 12000n }),
  },
  {
    name: 'stale sample (taken before the stored one): ignored',
    prev: state({ sampledAt: at(90) }),
    sample: sample(),
    ctx: ctx(),
    basis: 'stale',
    usage: null,
  },
  {
    name: 'stale sample (same instant, a racing collector): ignored',
    prev: state({ sampledAt: at(60) }),
    sample: sample(),
    ctx: ctx(),
    basis: 'stale',
    usage: null,
  },
  {
    name: 'impossible disk jump: flagged, not billed; other counters billed',
    prev: state(),
    // 8 GiB/s × 60 s + 1 s slack = 61 × 16 Mi sectors; this is far more (like xentop VBD_RSECT garbage).
    sample: sample({ counters: { ...sample().counters, 'vbd:51712:rd_sect': 18446744073562662986n } }),
    ctx: ctx(),
    basis: 'continued',
    usage: usage({ cpuSeconds: 30n, diskWriteBytes: 400n * 512n, netTxBytes: 1000n, netRxBytes: 3000n, ...gauges60 }),
    anomalies: ['vbd:51712:rd_sect'],
  },
  {
    name: 'impossible CPU: more CPU seconds than vcpus × elapsed + slack',
    prev: state(),
    sample: sample({ counters: { ...sample().counters, cpu: 100n + 2n * 60n + 3n } }),
    ctx: ctx(),
    basis: 'continued',
    usage: usage({ diskReadBytes: 100n * 512n, diskWriteBytes: 400n * 512n, netTxBytes: 1000n, netRxBytes: 3000n, ...gauges60 }),
    anomalies: ['cpu'],
  },
  {
    name: 'CPU at the limit (vcpus × elapsed + 2 s slack) is billed',
    prev: state(),
    sample: sample({ counters: { cpu: 100n + 2n * 60n + 2n } }),
    ctx: ctx(),
    basis: 'continued',
    usage: usage({ cpuSeconds: 122n, ...gauges60 }),
  },
  {
    name: 'no OVS data: xentop fallback, NETTX(k) = guest ingress → net_rx, NETRX(k) → net_tx, KiB × 1024',
    prev: state({ counters: { 'xt:nettx_kib': 10n, 'xt:netrx_kib': 4n } }),
    sample: sample({ counters: { 'xt:nettx_kib': 13n, 'xt:netrx_kib': 5n } }),
    ctx: ctx(),
    basis: 'continued',
    usage: usage({ netRxBytes: 3n * 1024n, netTxBytes: 1024n, ...gauges60 }),
  },
  {
    name: 'OVS present: xentop network counters are kept but not billed (one source)',
    prev: state(),
    sample: sample({ counters: { 'vif:0:rx_bytes': 5000n, 'vif:0:tx_bytes': 9000n, 'xt:nettx_kib': 99999n, 'xt:netrx_kib': 88888n } }),
    ctx: ctx(),
    basis: 'continued',
    usage: usage({ ...gauges60 }),
  },
  {
    name: 'OVS vanished for a poll: xentop delta against stored xentop values, never against OVS bytes',
    prev: state(),
    sample: sample({ counters: { 'xt:nettx_kib': 12n, 'xt:netrx_kib': 4n } }),
    ctx: ctx(),
    basis: 'continued',
    usage: usage({ netRxBytes: 2048n, ...gauges60 }),
  },
  {
    name: 'OVS appeared after xentop fallback: OVS baselined (xentop billed up to the last sample)',
    prev: state({ counters: { 'xt:nettx_kib': 10n, 'xt:netrx_kib': 4n } }),
    sample: sample({ counters: { 'vif:0:rx_bytes': 777777n, 'vif:0:tx_bytes': 888888n, 'xt:nettx_kib': 20n, 'xt:netrx_kib': 9n } }),
    ctx: ctx(),
    basis: 'continued',
    usage: usage({ ...gauges60 }),
  },
  {
    name: 'hot-plugged vif / vbd within an incarnation: its counters from zero',
    prev: state({ counters: { 'vif:0:rx_bytes': 5000n, 'vif:0:tx_bytes': 9000n } }),
    sample: sample({ counters: { 'vif:0:rx_bytes': 5000n, 'vif:0:tx_bytes': 9000n, 'vif:1:rx_bytes': 11n, 'vif:1:tx_bytes': 22n, 'vbd:51728:wr_sect': 3n } }),
    ctx: ctx(),
    basis: 'continued',
    usage: usage({ netTxBytes: 11n, netRxBytes: 22n, diskWriteBytes: 3n * 512n, ...gauges60 }),
  },
  {
    name: 'host outage: the same incarnation carries the whole delta and integrates the whole gap',
    prev: state(),
    sample: sample(),
    ctx: ctx({ takenAt: at(3600) }),
    basis: 'continued',
    usage: usage({ cpuSeconds: 30n, diskReadBytes: 100n * 512n, diskWriteBytes: 400n * 512n, netTxBytes: 1000n, netRxBytes: 3000n, vcpuMs: 2n * 3_600_000n, memMibMs: 1024n * 3_600_000n, uptimeMs: 3_600_000n }),
  },
  {
    name: 'gauges at ms precision from the previous sample (1.5 s, 3 vcpus, 1536 KiB → 1.5 MiB)',
    prev: state({ vcpus: 3, memoryKiB: 1536n, counters: {} }),
    sample: sample({ counters: {} }),
    ctx: ctx({ takenAt: new Date(T0 + 1500) }),
    basis: 'continued',
    usage: usage({ vcpuMs: 4500n, memMibMs: 2250n, uptimeMs: 1500n }),
  },
  {
    name: 'a domain that was shut down (not up) at the last sample integrates no gauges',
    prev: state({ state: 'shutdown', counters: {} }),
    sample: sample({ state: 'shutdown', counters: {} }),
    ctx: ctx(),
    basis: 'continued',
    usage: usage({}),
  },
  {
    name: 'a paused domain is up: it holds its vcpus and memory',
    prev: state({ state: 'paused', counters: {} }),
    sample: sample({ counters: {} }),
    ctx: ctx(),
    basis: 'continued',
    usage: usage({ ...gauges60 }),
  },
];

describe('computeDeltas', () => {
  it.each(cases)('$name', (c) => {
    const r = computeDeltas(c.prev, c.sample, c.ctx);
    expect(r.basis).toBe(c.basis);
    expect(r.usage).toEqual(c.usage);
    expect(r.anomalies.map((a) => a.counter)).toEqual(c.anomalies ?? []);
    for (const v of Object.values(r.usage ?? {})) expect(v >= 0n).toBe(true);
    if (c.basis === 'stale') {
      expect(r.nextState).toBe(c.prev);
    } else {
      // The state always advances (also past an anomaly), so the next delta is sane.
      expect(r.nextState).toEqual({
        hostId: c.ctx.hostId,
        domid: c.sample.domid,
        sampledAt: c.ctx.takenAt,
        state: c.sample.state,
        vcpus: c.sample.vcpus,
        memoryKiB: c.sample.memoryKiB,
        counters: c.sample.counters,
      });
    }
  });

  it('records the anomaly with previous and current values and the elapsed time', () => {
    const r = computeDeltas(state(), sample({ counters: { 'vbd:51712:rd_sect': 18446744073562662986n } }), ctx());
    expect(r.anomalies).toEqual([
      expect.objectContaining({ counter: 'vbd:51712:rd_sect', previous: 1000n, current: 18446744073562662986n, elapsedMs: 60_000 }),
    ]);
    // The next sample's delta is measured from the flagged value: sane again.
    const next = computeDeltas(r.nextState, sample({ counters: { 'vbd:51712:rd_sect': 18446744073562662986n + 8n } }), ctx({ takenAt: at(120) }));
    expect(next.usage?.diskReadBytes).toBe(8n * 512n);
    expect(next.anomalies).toEqual([]);
  });

  it('flags an impossible value also for a VM that booted since the last poll (elapsed since that poll)', () => {
    const r = computeDeltas(undefined, sample({ counters: { 'vif:0:rx_bytes': 10n ** 15n, 'vif:0:tx_bytes': 1n } }), ctx({ hostLastSuccessAt: at(50) }));
    expect(r.anomalies.map((a) => [a.counter, a.elapsedMs])).toEqual([['vif:0:rx_bytes', 10_000]]);
    expect(r.usage?.netRxBytes).toBe(1n);
  });
});
