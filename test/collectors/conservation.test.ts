// CONSERVATION: a simulated day through runPollCycle with SimAdapters (reboots, a power cycle, a 64-bit
// counter wrap, a live migration, a host down for an hour). The sim's true counter growth between each
// VM's first and last sample equals the usage_minute sums, which equal the 5-minute, hour and day sums.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPollCycle } from '../../src/collectors/poll.ts';
import { rollupAll } from '../../src/collectors/rollup.ts';
import { rows, sql } from '../../src/db/client.ts';
import { METERS, type Meter } from '../../src/db/schema/usage.ts';
import { createSimFleet } from '../../src/hosts/sim/fleet.ts';
import type { SimTruth } from '../../src/hosts/sim/types.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { simWorld, usageTotals, type SimWorld } from './support.ts';

const T0 = new Date('2025-03-01T00:00:00Z');
const STEP = 60_000;
const STEPS = 1440; // one day of 60 s polls
const U64 = 1n << 64n;
const COUNTER_METERS = ['cpu_seconds', 'disk_read_bytes', 'disk_write_bytes', 'net_rx_bytes', 'net_tx_bytes'] as const;
const TRUTH_KEY: Record<(typeof COUNTER_METERS)[number], keyof SimTruth> = {
  cpu_seconds: 'cpuSeconds', disk_read_bytes: 'diskReadBytes', disk_write_bytes: 'diskWriteBytes', net_rx_bytes: 'netRxBytes', net_tx_bytes: 'netTxBytes',
};

/** What a counter's value maps to (directions as in deltas.ts), for the wrap-loss bookkeeping. */
function meterOfKey(key: string): [Meter, bigint] | null {
  if (key.endsWith(':rd_sect')) return ['disk_read_bytes', 512n];
  if (key.endsWith(':wr_sect')) return ['disk_write_bytes', 512n];
  if (key.startsWith('vif:') && key.endsWith(':rx_bytes')) return ['net_tx_bytes', 1n];
  if (key.startsWith('vif:') && key.endsWith(':tx_bytes')) return ['net_rx_bytes', 1n];
  return null;
}

describe('conservation over a simulated day', () => {
  let t: TestDatabase;
  let w: SimWorld;
  const wrapLoss = new Map<Meter, bigint>();
  let failedPolls = 0;
  let boundaries = new Map<string, number>();
  let wrapVm = '';

  beforeAll(async () => {
    const fleet = { seed: 7, hosts: 4, vmsPerHost: 5, start: new Date(T0.getTime() - 10 * 60_000), ovsExternalIds: 'some' as const };
    // UUIDs depend only on the seed: pick the wrap VM from a throwaway twin of the fleet.
    wrapVm = createSimFleet(fleet).vms[1]!.uuid;
    t = await createTestDatabase();
    // This VM's counters start 3 GB below 2^64: they wrap during the day (a counter "reset" without a reboot).
    w = await simWorld(t.db, { start: T0, fleet: { ...fleet, counterOffsets: { [wrapVm]: U64 - 3_000_000_000n } } });
  });
  afterAll(async () => t?.close());

  it('runs a day of polls with incidents', async () => {
    const [a, b, c, d] = [w.fleet.vms[0]!, w.fleet.vms[7]!, w.fleet.vms[12]!, w.fleet.vms[3]!];
    const down = w.fleet.hostNames[2]!;
    // Incidents land 500 ms after a poll: the sample just taken shows each ended incarnation's final counters.
    const incidents = new Map<number, () => void>([
      [100, () => w.fleet.power(w.fleet.status(a.uuid).host, a.uuid, 'reboot', at(100))],
      [300, () => w.fleet.migrate(b.uuid, w.fleet.hostNames.find((h) => h !== w.fleet.status(b.uuid).host && h !== down)!, at(300))],
      [400, () => w.fleet.setHostDown(down, true, at(400))],
      [460, () => w.fleet.setHostDown(down, false, at(460))],
      [700, () => w.fleet.power(w.fleet.status(c.uuid).host, c.uuid, 'destroy', at(700))],
      [730, () => w.fleet.power(w.fleet.status(c.uuid).host, c.uuid, 'start', at(730))],
      [900, () => w.fleet.power(w.fleet.status(a.uuid).host, a.uuid, 'reboot', at(900))],
      [1000, () => w.fleet.power(w.fleet.status(d.uuid).host, d.uuid, 'reboot', at(1000))],
    ]);
    let prevWrap: { hostId: string; domid: number; counters: Record<string, string> } | undefined;
    for (let step = 0; step <= STEPS; step++) {
      w.clock.set(T0.getTime() + step * STEP);
      const r = await runPollCycle(w.ctx);
      expect(r.hosts.length).toBe(4);
      failedPolls += r.hosts.filter((h) => h.status === 'failed').length;
      // Track the wrap VM's stored counters: a value that went down in the same incarnation lost 2^64 - prev.
      const [s] = await rows<{ host_id: string; domid: number; counters: string }>(
        t.db, sql`select host_id::text, domid, counters::text from vm_meter_state where vm_uuid = ${wrapVm}::uuid`);
      const cur = { hostId: s!.host_id, domid: s!.domid, counters: JSON.parse(s!.counters) as Record<string, string> };
      if (prevWrap && prevWrap.hostId === cur.hostId && prevWrap.domid === cur.domid) {
        for (const [k, v] of Object.entries(cur.counters)) {
          const p = prevWrap.counters[k];
          const m = meterOfKey(k);
          if (p !== undefined && m && BigInt(v) < BigInt(p)) wrapLoss.set(m[0], (wrapLoss.get(m[0]) ?? 0n) + (U64 - BigInt(p)) * m[1]);
        }
      }
      prevWrap = cur;
      incidents.get(step)?.();
    }
    boundaries = new Map(w.fleet.vms.map((v) => [v.uuid, w.fleet.incarnations(v.uuid).filter((i) => i.start > T0).length]));
    expect(failedPolls).toBe(60); // one host, one hour
    expect([...wrapLoss.values()].some((l) => l > 0n)).toBe(true);
  }, 900_000);

  it('usage_minute sums equal the sim truth for every counter meter (exact)', async () => {
    const minute = await usageTotals(t.db, 'usage_minute');
    const end = new Date(T0.getTime() + STEPS * STEP);
    expect(minute.size).toBe(20);
    for (const vm of w.fleet.vms) {
      const t0 = w.fleet.truthAt(vm.uuid, T0);
      const t1 = w.fleet.truthAt(vm.uuid, end);
      const got = minute.get(vm.uuid)!;
      for (const m of COUNTER_METERS) {
        const truth = (t1[TRUTH_KEY[m]] as bigint) - (t0[TRUTH_KEY[m]] as bigint);
        const loss = vm.uuid === wrapVm ? (wrapLoss.get(m) ?? 0n) : 0n;
        expect({ vm: vm.name, m, v: BigInt(got[m]) }).toEqual({ vm: vm.name, m, v: truth - loss });
      }
      expect(Number(got.samples)).toBeGreaterThan(1300);
    }
  });

  it('gauges are within one poll interval per incarnation boundary of the truth', async () => {
    const minute = await usageTotals(t.db, 'usage_minute');
    const end = new Date(T0.getTime() + STEPS * STEP);
    for (const vm of w.fleet.vms) {
      const up = w.fleet.truthAt(vm.uuid, end).uptimeSeconds - w.fleet.truthAt(vm.uuid, T0).uptimeSeconds;
      const got = minute.get(vm.uuid)!;
      const slack = (boundaries.get(vm.uuid) ?? 0) * (STEP / 1000) + 0.001;
      const uptime = Number(got.uptime_seconds);
      expect(uptime).toBeLessThanOrEqual(up + 0.001);
      expect(up - uptime).toBeLessThanOrEqual(slack);
      // The sim's vcpus and memory are constant per VM: the integrals are exact multiples of the uptime.
      expect(BigInt(got.vcpu_seconds.replace('.', ''))).toBe(BigInt(got.uptime_seconds.replace('.', '')) * BigInt(vm.vcpus));
      expect(BigInt(got.mem_mib_seconds.replace('.', ''))).toBe(BigInt(got.uptime_seconds.replace('.', '')) * BigInt(vm.memMiB));
    }
  });

  it('rollups conserve every meter exactly: minute = 5min = hour = day', async () => {
    w.clock.set(T0.getTime() + 2 * 86_400_000); // every bucket of the day is closed now
    await rollupAll(w.ctx, { from: new Date(T0.getTime() - 86_400_000), to: new Date(T0.getTime() + 2 * 86_400_000) });
    const minute = await usageTotals(t.db, 'usage_minute');
    for (const table of ['usage_5min', 'usage_hour', 'usage_day'] as const) {
      expect(await usageTotals(t.db, table)).toEqual(minute);
    }
    expect([...minute.values()].every((v) => METERS.every((m) => v[m] !== undefined))).toBe(true);
  });

  it('the outage is recorded: 60 failures for the host, then recovery', async () => {
    const down = w.hostIds.get(w.fleet.hostNames[2]!)!;
    const [f] = await rows<{ n: number }>(t.db, sql`select count(*)::int as n from host_poll_failures where host_id = ${down}::uuid`);
    expect(f!.n).toBe(60);
    const [h] = await rows<{ consecutive_failures: number; last_error: string | null }>(t.db, sql`select consecutive_failures, last_error from hosts where id = ${down}::uuid`);
    expect(h).toEqual({ consecutive_failures: 0, last_error: null });
  });
});

function at(step: number): Date {
  return new Date(T0.getTime() + step * STEP + 500);
}
