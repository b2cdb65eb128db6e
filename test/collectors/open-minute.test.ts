// The open minute: a VM's deltas are summed with its meter state and reach usage_minute once, when a sample in
// a later minute closes the minute; flushOpenMinutes moves the minutes of VMs no longer sampled (adding to a key
// that is already there) and leaves the others open. Both drivers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZERO_USAGE } from '../../src/collectors/deltas.ts';
import { flushOpenMinutes, foldDelta, openUsageJson, type OpenMinute } from '../../src/collectors/open-minute.ts';
import { runPollCycle } from '../../src/collectors/poll.ts';
import { rollup } from '../../src/collectors/rollup.ts';
import { rows, sql } from '../../src/db/client.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { simWorld } from './support.ts';

const T0 = Date.UTC(2026, 3, 1, 10, 0);
const u = (cpuSeconds: bigint, uptimeMs: bigint) => ({ ...ZERO_USAGE, cpuSeconds, uptimeMs });

describe('foldDelta', () => {
  it('sums deltas of one minute and closes the minute when a later one begins', () => {
    const a = foldDelta(null, new Date(T0 + 5_000), u(1n, 5_000n));
    expect(a).toEqual({ open: { minuteMs: T0, samples: 1, usage: u(1n, 5_000n) }, closed: null });
    const b = foldDelta(a.open, new Date(T0 + 59_999), u(2n, 10_000n));
    expect(b).toEqual({ open: { minuteMs: T0, samples: 2, usage: u(3n, 15_000n) }, closed: null });
    // A gap of several minutes (host down) closes the old minute; the new delta opens the sample's minute.
    const c = foldDelta(b.open, new Date(T0 + 3 * 60_000 + 1_000), u(7n, 190_000n));
    expect(c).toEqual({ open: { minuteMs: T0 + 180_000, samples: 1, usage: u(7n, 190_000n) }, closed: b.open });
  });
});

interface MinuteRow {
  vm: string;
  at: string;
  cpu: string;
  up: string;
  samples: number;
}

describe('open minutes in the database', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.close());

  const minutes = () =>
    rows<MinuteRow>(
      t.db,
      sql`select vm_uuid::text as vm, to_char(bucket at time zone 'UTC', 'HH24:MI') as at, cpu_seconds::text as cpu,
                 uptime_seconds::text as up, samples from usage_minute order by vm_uuid, bucket`,
    );
  const opens = () =>
    rows<{ vm: string; at: string | null; samples: string | null }>(
      t.db,
      sql`select vm_uuid::text as vm, to_char(open_bucket at time zone 'UTC', 'HH24:MI') as at, open_usage->>'samples' as samples
            from vm_meter_state order by vm_uuid`,
    );

  it('polls fill the open minute; the first sample of the next minute writes it to usage_minute', async () => {
    const w = await simWorld(t.db, { start: new Date(T0), fleet: { seed: 3, hosts: 1, vmsPerHost: 2, events: {} }, env: { POLL_INTERVAL_SECONDS: '10' } });
    const vms = w.fleet.vms.map((v) => v.uuid).sort();
    for (let i = 0; i < 6; i++) {
      await runPollCycle(w.ctx); // 10:00:00 … 10:00:50
      w.clock.advance(10_000);
    }
    expect(await minutes()).toEqual([]);
    expect(await opens()).toEqual(vms.map((vm) => ({ vm, at: '10:00', samples: '6' })));

    await runPollCycle(w.ctx); // 10:01:00 closes 10:00
    const written = await minutes();
    expect(written.map((m) => [m.vm, m.at, m.samples])).toEqual(vms.map((vm) => [vm, '10:00', 6]));
    // The first poll of a new host is its baseline (nothing billed); the five after it are 10 s of uptime each.
    expect(written.map((m) => m.up)).toEqual(vms.map(() => '50.000'));
    expect(await opens()).toEqual(vms.map((vm) => ({ vm, at: '10:01', samples: '1' })));

    // The VMs stop being sampled (host removed): the next rollup moves their open minute first.
    await rows(t.db, sql`delete from hosts`);
    w.clock.advance(10 * 60_000);
    await rollup(w.ctx, '5min', { from: new Date(T0), to: w.clock.now() });
    expect((await minutes()).map((m) => [m.vm, m.at, m.samples])).toEqual(vms.flatMap((vm) => [[vm, '10:00', 6], [vm, '10:01', 1]]));
    expect(await opens()).toEqual(vms.map((vm) => ({ vm, at: null, samples: null })));
    const [five] = await rows<{ samples: string }>(t.db, sql`select sum(samples)::text as samples from usage_5min`);
    expect(five?.samples).toBe('14');
  });

  it('flushOpenMinutes moves only minutes before its bound, adding to a key that exists, once', async () => {
    await rows(t.db, sql`delete from usage_minute`);
    await rows(t.db, sql`delete from vm_meter_state`);
    const host = '22222222-2222-4222-8222-222222222222';
    const vm = (i: number) => `00000000-0000-4000-8000-00000000000${i}`;
    const open = (i: number, minute: number, o: OpenMinute | null) =>
      rows(
        t.db,
        sql`insert into vm_meter_state (vm_uuid, host_id, domid, sampled_at, vcpus, memory_kib, counters, open_bucket, open_usage)
            values (${vm(i)}::uuid, ${host}::uuid, 1, ${new Date(T0 + minute * 60_000 + 30_000).toISOString()}::timestamptz, 1, 1024, '{}',
                    ${o ? new Date(o.minuteMs).toISOString() : null}::timestamptz,
                    ${o ? openUsageJson(o) : null}::jsonb)`,
      );
    await open(1, 0, { minuteMs: T0, samples: 2, usage: u(5n, 20_500n) });
    await open(2, 1, { minuteMs: T0 + 60_000, samples: 1, usage: u(9_223_372_036_854_775_000n, 1n) });
    await open(3, 3, { minuteMs: T0 + 180_000, samples: 4, usage: u(1n, 40_000n) });
    await open(4, 3, null);
    // VM 1's minute is already there (written while one of its samples was still in flight).
    await rows(t.db, sql`insert into usage_minute (vm_uuid, bucket, cpu_seconds, uptime_seconds, samples) values (${vm(1)}::uuid, ${new Date(T0).toISOString()}::timestamptz, 1, 9.5, 1)`);

    expect(await flushOpenMinutes(t.db, new Date(T0 + 120_000))).toBe(2);
    expect(await flushOpenMinutes(t.db, new Date(T0 + 120_000))).toBe(0);
    expect(await minutes()).toEqual([
      { vm: vm(1), at: '10:00', cpu: '6', up: '30.000', samples: 3 },
      { vm: vm(2), at: '10:01', cpu: '9223372036854775000', up: '0.001', samples: 1 },
    ]);
    expect(await opens()).toEqual([
      { vm: vm(1), at: null, samples: null },
      { vm: vm(2), at: null, samples: null },
      { vm: vm(3), at: '10:03', samples: '4' },
      { vm: vm(4), at: null, samples: null },
    ]);
  });
});
