// usage_minute writes of closed minutes on both drivers: sums add up whichever path a row takes (binary COPY on
// PostgreSQL, the upsert otherwise), a key that exists falls back to the upsert, a value its column cannot hold
// is refused with its name and writes nothing, and a COPY the server refuses errors instead of hanging.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyIn, inTransaction, postgresTransactionOf, rows, sql } from '../../src/db/client.ts';
import { BinaryCopyRows } from '../../src/db/copy-binary.ts';
import { ZERO_USAGE, type UsageDelta } from '../../src/collectors/deltas.ts';
import { milliToDecimal } from '../../src/collectors/pg-arrays.ts';
import { MinuteAggregator, writeMinuteUsage } from '../../src/collectors/usage-writer.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const VM = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const T0 = Date.UTC(2026, 2, 1, 10, 0);

interface Stored {
  vm: string;
  bucket: string;
  cpu: string;
  vcpu: string;
  mem: string;
  up: string;
  rx: string;
  samples: number;
}

describe('usage_minute writer', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t.close());

  const stored = () =>
    rows<Stored>(
      t.db,
      sql`select vm_uuid::text as vm, to_char(bucket at time zone 'UTC', 'HH24:MI') as bucket, cpu_seconds::text as cpu,
                 vcpu_seconds::text as vcpu, mem_mib_seconds::text as mem, uptime_seconds::text as up, net_rx_bytes::text as rx, samples
            from usage_minute order by vm_uuid, bucket`,
    );
  /** [vm, minute, usage, samples (default 1)]: closed minutes, as the bucket writer hands them over. */
  const write = (entries: Array<[number, number, Partial<UsageDelta>, number?]>) =>
    inTransaction(t.db, async (tx) => {
      const agg = new MinuteAggregator();
      for (const [vm, minute, u, samples] of entries) agg.addMinute(VM(vm), { minuteMs: T0 + minute * 60_000, samples: samples ?? 1, usage: { ...ZERO_USAGE, ...u } });
      await writeMinuteUsage(tx, agg);
    });

  it('adds minutes exactly, new keys or not, including values at the columns’ limits', async () => {
    await rows(t.db, sql`delete from usage_minute`);
    const big = 9_223_372_036_854_775_000n;
    await write([
      [1, 0, { cpuSeconds: 5n, vcpuMs: 1n, memMibMs: 999_999_999_999_999_999_999_999_999n, uptimeMs: 10_000n, netRxBytes: big }],
      [2, 0, { cpuSeconds: 0n, vcpuMs: 0n, uptimeMs: 999n }],
      [2, 0, { cpuSeconds: 1n, vcpuMs: 10_000n, uptimeMs: 1n }], // same key twice in a batch: summed first
      [3, 1, { vcpuMs: 123_456_789_012_345_678_901_234n }],
    ]);
    await write([
      [1, 0, { cpuSeconds: 2n, netRxBytes: 807n }], // already there: the COPY is refused, the upsert adds
      [2, 1, { cpuSeconds: 3n, vcpuMs: 100_000_000n }],
    ]);
    expect(await stored()).toEqual([
      { vm: VM(1), bucket: '10:00', cpu: '7', vcpu: '0.001', mem: '999999999999999999999999.999', up: '10.000', rx: '9223372036854775807', samples: 2 },
      { vm: VM(2), bucket: '10:00', cpu: '1', vcpu: '10.000', mem: '0.000', up: '1.000', rx: '0', samples: 2 },
      { vm: VM(2), bucket: '10:01', cpu: '3', vcpu: '100000.000', mem: '0.000', up: '0.000', rx: '0', samples: 1 },
      { vm: VM(3), bucket: '10:01', cpu: '0', vcpu: '123456789012345678901.234', mem: '0.000', up: '0.000', rx: '0', samples: 1 },
    ]);
  });

  it('a minute that is already there is added to with its sample count, not refused', async () => {
    await rows(t.db, sql`delete from usage_minute`);
    await write([[4, 0, { cpuSeconds: 10n, uptimeMs: 10_000n }, 4]]);
    await write([
      [4, 0, { cpuSeconds: 1n, uptimeMs: 5_000n }, 2], // say, flushed while one of its samples was in flight
      [5, 0, { cpuSeconds: 2n }, 6],
    ]);
    const r = await stored();
    expect(r.map((x) => [x.vm, x.cpu, x.up, x.samples])).toEqual([
      [VM(4), '11', '15.000', 6],
      [VM(5), '2', '0.000', 6],
    ]);
  });

  it('refuses a value its column cannot hold, naming it, and writes nothing of the batch', async () => {
    await rows(t.db, sql`delete from usage_minute`);
    const err = await write([
      [6, 0, { cpuSeconds: 1n }],
      [7, 0, { diskReadBytes: 2n ** 63n }],
    ]).catch((e: unknown) => e);
    // PostgreSQL: the binary COPY encoder names the value; PGlite: the server's cast error (under drizzle's wrapper).
    expect(String(onPostgres ? err : (err as Error).cause)).toMatch(onPostgres ? /VM 00000000-0000-4000-8000-000000000007: .*disk_read_bytes = 9223372036854775808 does not fit a bigint/ : /out of range for type bigint/);
    expect(await stored()).toEqual([]);
  });

  it('refuses a VM id that is not a UUID', async () => {
    const err = await inTransaction(t.db, async (tx) => {
      const agg = new MinuteAggregator();
      agg.addMinute('00000000-0000-4000-8000-00000000000g', { minuteMs: T0, samples: 1, usage: { ...ZERO_USAGE, cpuSeconds: 1n } });
      await writeMinuteUsage(tx, agg);
    }).catch((e: unknown) => e);
    expect(String(onPostgres ? err : (err as Error).cause)).toMatch(onPostgres ? /"00000000-0000-4000-8000-00000000000g" is not a UUID/ : /invalid input syntax for type uuid/);
  });

  it.skipIf(!onPostgres)('binary numerics read back as the decimal text they encode', async () => {
    const values = fc.sample(fc.bigInt({ min: -(10n ** 28n) + 1n, max: 10n ** 28n - 1n }), { numRuns: 300, seed: 7 });
    values.push(0n, 1n, -1n, 999n, 1000n, 10_000n, 10_000_000n, 100_000_000_000n, -10_000_000n);
    for (const edge of [2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n]) values.push(edge, -edge); // the double fast path's edge
    const back = await inTransaction(t.db, async (tx) => {
      const pg = postgresTransactionOf(tx)!;
      await pg.unsafe('create temp table numerics (i int, n numeric(28, 3)) on commit drop');
      const data = new BinaryCopyRows();
      values.forEach((v, i) => data.row(2).int4(i, 'i').numericMilli(v, 28, 'n'));
      await copyIn(pg, 'copy numerics (i, n) from stdin (format binary)', data.finish());
      return rows<{ n: string }>(tx, sql`select n::text as n from numerics order by i`);
    });
    expect(back.map((r) => r.n)).toEqual(values.map(milliToDecimal));
  });

  it.skipIf(!onPostgres)('binary bigints read back exactly on both sides of 2^53 and at the type’s limits', async () => {
    const values = [0n, -1n, 2n ** 32n - 1n, 2n ** 32n, -(2n ** 32n), 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) + 1n, -(2n ** 53n), -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)];
    const back = await inTransaction(t.db, async (tx) => {
      const pg = postgresTransactionOf(tx)!;
      await pg.unsafe('create temp table bigs (i int, n bigint) on commit drop');
      const data = new BinaryCopyRows(16); // smaller than the data: the buffer grows as rows are added
      values.forEach((v, i) => data.row(2).int4(i, 'i').int8(v, 'n'));
      await copyIn(pg, 'copy bigs (i, n) from stdin (format binary)', data.finish());
      return rows<{ n: string }>(tx, sql`select n::text as n from bigs order by i`);
    });
    expect(back.map((r) => r.n)).toEqual(values.map(String));
    expect(() => new BinaryCopyRows().row(1).int8(2n ** 63n, 'n')).toThrow(/n = 9223372036854775808 does not fit a bigint/);
    expect(() => new BinaryCopyRows().row(1).numericMilli(10n ** 24n, 24, 'v')).toThrow(/does not fit numeric\(24, 3\)/);
    expect(() => new BinaryCopyRows().row(1).numericMilli(10n ** 12n, 12, 'v')).toThrow(/does not fit numeric\(12, 3\)/);
  });

  it.skipIf(!onPostgres)('a COPY the server refuses after its last row rejects at once and leaves the connection usable', async () => {
    const started = Date.now();
    const err = await inTransaction(t.db, async (tx) => {
      const pg = postgresTransactionOf(tx)!;
      await pg.unsafe('create temp table once (a int primary key) on commit drop');
      await pg.unsafe('insert into once values (3)');
      return pg.savepoint((sp) => copyIn(sp, 'copy once from stdin', '1\n2\n3\n', 5_000)).catch((e: unknown) => e);
    });
    expect((err as { code?: string }).code).toBe('23505');
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(await rows<{ ok: number }>(t.db, sql`select 1 as ok`)).toEqual([{ ok: 1 }]);
  });
});
