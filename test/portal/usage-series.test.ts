// usageSeries / usageTotals: coarse tables cover what they hold, finer ones fill the rest, nothing is
// counted twice (minute rows under a rolled-up hour are ignored), and poll failures come back as gaps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { usageHour, usageMinute } from '../../src/db/schema/usage.ts';
import { hostPollFailures } from '../../src/db/schema/hosts.ts';
import { addHost } from '../../src/hosts/registry.ts';
import { addDecimal, usageSeries, usageTotals } from '../../src/collectors/usage-series.ts';

let database: TestDatabase;
const VM = '44444444-4444-4444-8444-444444444444';
const T0 = Date.parse('2026-03-10T00:00:00Z');
let hostId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const db = database.db;
  hostId = (await addHost(db, { name: 'h1', adapter: 'sim' })).id;
  // Hours 0..2 rolled up (100 CPU s each); their minutes are still in usage_minute (1 s each) and must not count again.
  await db.insert(usageHour).values([0, 1, 2].map((h) => ({ vmUuid: VM, bucket: new Date(T0 + h * 3_600_000), cpuSeconds: 100n, memMibSeconds: '10.500', samples: 360 })));
  await db.insert(usageMinute).values(
    Array.from({ length: 270 }, (_, m) => ({ vmUuid: VM, bucket: new Date(T0 + m * 60_000), cpuSeconds: 1n, memMibSeconds: '0.250', samples: 6 })),
  );
  await db.insert(hostPollFailures).values({ hostId, at: new Date(T0 + 4 * 3_600_000 + 5 * 60_000), error: 'timeout' });
});
afterAll(async () => database?.close());

describe('usage series', () => {
  it('hourly bins: rolled-up hours from usage_hour, the rest from minutes, no double counting', async () => {
    const s = await usageSeries(database.db, { vmUuid: VM, from: new Date(T0), to: new Date(T0 + 6 * 3_600_000), bin: 'hour', hostId });
    expect(s.points.map((p) => [p.t.toISOString().slice(11, 16), p.values.cpu_seconds])).toEqual([
      ['00:00', '100'],
      ['01:00', '100'],
      ['02:00', '100'],
      ['03:00', '60'],
      ['04:00', '30'],
    ]);
    expect(s.points[0].values.mem_mib_seconds).toBe('10.500');
    expect(s.points[3].values.mem_mib_seconds).toBe('15.000');
    expect(s.gaps).toEqual([{ at: new Date(T0 + 4 * 3_600_000 + 5 * 60_000), error: 'timeout' }]);
  });

  it('5-minute bins come from minutes when usage_5min is empty', async () => {
    const s = await usageSeries(database.db, { vmUuid: VM, from: new Date(T0 + 3 * 3_600_000), to: new Date(T0 + 4 * 3_600_000), bin: '5min' });
    expect(s.points).toHaveLength(12);
    expect(s.points.every((p) => p.values.cpu_seconds === '5')).toBe(true);
  });

  it('totals use the same coverage rule', async () => {
    const t = await usageTotals(database.db, [VM], new Date(T0), new Date(T0 + 6 * 3_600_000));
    expect(t.cpu_seconds).toBe('390');
    expect(t.mem_mib_seconds).toBe('54.000');
    expect(await usageTotals(database.db, [], new Date(T0), new Date(T0 + 1))).toMatchObject({ cpu_seconds: '0' });
  });

  it('adds decimals exactly', () => {
    expect(addDecimal('0.1', '0.2')).toBe('0.3');
    expect(addDecimal('123456789012345678901234', '1.005')).toBe('123456789012345678901235.005');
    expect(addDecimal('0', '0.000')).toBe('0.000');
  });
});
