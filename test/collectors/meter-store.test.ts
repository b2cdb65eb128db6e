// vm_meter_state through saveMeterStates/loadMeterStates: counters and the open minute round-trip exactly
// (escaped keys, 2^64-1) and a row already holding a newer or equal sample is never overwritten.
import { afterEach, describe, expect, it } from 'vitest';
import { inTransaction, rows, sql } from '../../src/db/client.ts';
import { ZERO_USAGE } from '../../src/collectors/deltas.ts';
import { loadMeterStates, saveMeterStates, type StoredMeterState } from '../../src/collectors/meter-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const HOST = '11111111-1111-4111-8111-111111111111';
const A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

const state = (at: number, cpu: bigint, extra: Record<string, bigint> = {}): StoredMeterState => ({
  hostId: HOST,
  domid: 5,
  sampledAt: new Date(Date.UTC(2026, 0, 1) + at),
  state: 'running',
  vcpus: 2,
  memoryKiB: 1048576n,
  counters: { cpu, 'vbd:51712:rd_sect': 7n, ...extra },
  open: null,
});

describe('meter-store', () => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('stores counters exactly and never overwrites a newer or equal sample', async () => {
    t = await createTestDatabase();
    const db = t.db;
    await rows(db, sql`insert into hosts (id, name, adapter) values (${HOST}::uuid, 'h1', 'sim')`);
    const sA = {
      ...state(20_000, 100n, { 'vif:we"ird\\dev é:rx_bytes': 2n ** 64n - 1n, 'xt:nettx_kib': 0n }),
      open: { minuteMs: Date.UTC(2026, 0, 1), samples: 3, usage: { ...ZERO_USAGE, cpuSeconds: 2n ** 63n - 1n, memMibMs: 10n ** 27n + 1n, uptimeMs: 30_000n } },
    };
    const sB = state(10_000, 200n);
    await inTransaction(db, (tx) => saveMeterStates(tx, [[A, sA], [B, sB]]));
    const loaded = await inTransaction(db, (tx) => loadMeterStates(tx, [A, B]));
    expect(loaded.get(A)).toEqual(sA);
    expect(loaded.get(B)).toEqual(sB);

    // Equal and older samples of A are ignored; B's newer one is written.
    await inTransaction(db, (tx) => saveMeterStates(tx, [[A, state(20_000, 9n)], [B, state(30_000, 300n)]]));
    await inTransaction(db, (tx) => saveMeterStates(tx, [[A, state(15_000, 9n)]]));
    const after = await inTransaction(db, (tx) => loadMeterStates(tx, [A, B]));
    expect(after.get(A)).toEqual(sA);
    expect(after.get(B)!.counters.cpu).toBe(300n);
  });
});
