// Rollups are idempotent recomputations of closed buckets, clamped at the minute retention horizon;
// retention deletes only minutes that are rolled up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { AppContext } from '../../src/context.ts';
import { createProviderRegistry } from '../../src/billing/payments/select.ts';
import { applyMinuteRetention } from '../../src/collectors/retention.ts';
import { rollup, rollupAll } from '../../src/collectors/rollup.ts';
import { rows, sql } from '../../src/db/client.ts';
import { silentLogger } from '../../src/log.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { testConfig } from './support.ts';

const VM1 = 'bbbbbbbb-0000-4000-8000-000000000001';
const VM2 = 'bbbbbbbb-0000-4000-8000-000000000002';
const NOW = new Date('2025-06-10T12:34:56Z');
const H = 3_600_000;

async function minute(t: TestDatabase, vm: string, at: string, cpu: number, up = '60.000') {
  await rows(t.db, sql`insert into usage_minute (vm_uuid, bucket, cpu_seconds, vcpu_seconds, mem_mib_seconds, disk_read_bytes, net_tx_bytes, uptime_seconds, samples)
    values (${vm}::uuid, ${at}::timestamptz, ${cpu}, ${up}::numeric, 1.5, ${String(BigInt(cpu) * 10n ** 15n)}::bigint, 7, ${up}::numeric, 1)
    on conflict (vm_uuid, bucket) do update set cpu_seconds = usage_minute.cpu_seconds + excluded.cpu_seconds, samples = usage_minute.samples + 1`);
}
const dump = async (t: TestDatabase, table: string) =>
  rows(t.db, sql`select vm_uuid::text, bucket::text, cpu_seconds::text, vcpu_seconds::text, mem_mib_seconds::text, disk_read_bytes::text, samples from ${sql.raw(table)} order by 1, 2`);

describe('rollups', () => {
  let t: TestDatabase;
  let ctx: AppContext;
  const clock = new ManualClock(NOW);
  beforeAll(async () => {
    t = await createTestDatabase();
    const config = testConfig({ MINUTE_RETENTION_DAYS: '35' });
    ctx = { db: t.db, clock, log: silentLogger, config, hosts: { adapterFor: () => { throw new Error('unused'); }, forget: async () => {}, closeAll: async () => {} }, payments: createProviderRegistry(config.payments, clock) };
    for (const [i, at] of ['2025-06-09T10:00:00Z', '2025-06-09T10:04:00Z', '2025-06-09T10:05:00Z', '2025-06-09T11:59:00Z', '2025-06-10T12:30:00Z', '2025-06-10T12:34:00Z'].entries()) {
      await minute(t, VM1, at, i + 1);
      await minute(t, VM2, at, 100 * (i + 1));
    }
  });
  afterAll(async () => t.close());

  it('sums closed buckets only, exactly (bigint beyond 2^53)', async () => {
    const r = await rollupAll(ctx, { from: new Date('2025-06-09T00:00:00Z'), to: NOW });
    expect(r.map((x) => [x.grain, x.to.toISOString()])).toEqual([
      ['5min', '2025-06-10T12:30:00.000Z'], ['hour', '2025-06-10T12:00:00.000Z'], ['day', '2025-06-10T00:00:00.000Z'],
    ]);
    const hours = await dump(t, 'usage_hour');
    expect(hours.filter((h) => h.vm_uuid === VM1)).toEqual([
      { vm_uuid: VM1, bucket: '2025-06-09 10:00:00+00', cpu_seconds: '6', vcpu_seconds: '180.000', mem_mib_seconds: '4.500', disk_read_bytes: '6000000000000000', samples: 3 },
      { vm_uuid: VM1, bucket: '2025-06-09 11:00:00+00', cpu_seconds: '4', vcpu_seconds: '60.000', mem_mib_seconds: '1.500', disk_read_bytes: '4000000000000000', samples: 1 },
    ]);
    const fives = await dump(t, 'usage_5min');
    expect(fives.filter((h) => h.vm_uuid === VM2).map((f) => [f.bucket, f.cpu_seconds])).toEqual([
      ['2025-06-09 10:00:00+00', '300'], ['2025-06-09 10:05:00+00', '300'], ['2025-06-09 11:55:00+00', '400'],
    ]);
    expect((await dump(t, 'usage_day')).map((d) => [d.vm_uuid, d.bucket, d.cpu_seconds])).toEqual([[VM1, '2025-06-09 00:00:00+00', '10'], [VM2, '2025-06-09 00:00:00+00', '1000']]);
  });

  it('is idempotent: running again changes nothing', async () => {
    const before = await Promise.all(['usage_5min', 'usage_hour', 'usage_day'].map((x) => dump(t, x)));
    const r = await rollupAll(ctx, { from: new Date('2025-06-09T00:00:00Z'), to: NOW });
    expect(r.map((x) => x.changed)).toEqual([0, 0, 0]);
    expect(await Promise.all(['usage_5min', 'usage_hour', 'usage_day'].map((x) => dump(t, x)))).toEqual(before);
  });

  it('a late minute in a rolled-up hour is picked up by the next run that covers it', async () => {
    await minute(t, VM1, '2025-06-09T10:59:00Z', 1000);
    const r = await rollupAll(ctx, { from: new Date('2025-06-09T00:00:00Z'), to: NOW });
    expect(r.map((x) => x.changed)).toEqual([1, 1, 1]);
    const day = (await dump(t, 'usage_day')).find((d) => d.vm_uuid === VM1)!;
    expect(day.cpu_seconds).toBe('1010');
  });

  it('never recomputes before the minute retention horizon (clamps and says so)', async () => {
    // An hour 40 days back whose minutes are partly gone: its stored value must survive.
    await rows(t.db, sql`insert into usage_hour (vm_uuid, bucket, cpu_seconds, samples) values (${VM1}::uuid, '2025-05-01T10:00:00Z', 999, 60)`);
    await minute(t, VM1, '2025-05-01T10:59:00Z', 1);
    const r = await rollup(ctx, 'hour', { from: new Date('2025-04-01T00:00:00Z'), to: NOW });
    expect(r.clampedFrom?.toISOString()).toBe('2025-05-06T13:00:00.000Z'); // NOW - 35 days, rounded up to the hour
    const [h] = await rows<{ cpu: string }>(t.db, sql`select cpu_seconds::text as cpu from usage_hour where vm_uuid = ${VM1}::uuid and bucket = '2025-05-01T10:00:00Z'`);
    expect(h!.cpu).toBe('999');
  });

  it('retention deletes old minutes only where rolled up, whole hours, and keeps newer minutes', async () => {
    clock.set(new Date('2025-07-14T11:30:00Z')); // horizon 2025-06-09T11:30 → hours before 11:00 are eligible
    // A minute of hour 09:00 that no rollup has seen yet: its hour must be kept.
    await minute(t, VM2, '2025-06-09T09:30:00Z', 5);
    const r = await applyMinuteRetention(ctx);
    expect(r.before.toISOString()).toBe('2025-06-09T11:00:00.000Z');
    const left = await rows<{ vm: string; bucket: string }>(t.db, sql`select vm_uuid::text as vm, bucket::text from usage_minute order by 1, 2`);
    expect(left).toEqual([
      { vm: VM1, bucket: '2025-05-01 10:59:00+00' }, // hour row exists but its samples (60) differ: not rolled up from these minutes
      { vm: VM1, bucket: '2025-06-09 11:59:00+00' },
      { vm: VM1, bucket: '2025-06-10 12:30:00+00' },
      { vm: VM1, bucket: '2025-06-10 12:34:00+00' },
      { vm: VM2, bucket: '2025-06-09 09:30:00+00' },
      { vm: VM2, bucket: '2025-06-09 11:59:00+00' },
      { vm: VM2, bucket: '2025-06-10 12:30:00+00' },
      { vm: VM2, bucket: '2025-06-10 12:34:00+00' },
    ]);
    expect(r.deleted).toBe(7); // hour 10:00: four minutes of VM1 (one late, rolled up since), three of VM2
    expect(r.keptNotRolledUp).toBe(2);
  });
});
