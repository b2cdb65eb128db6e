// PostgreSQL only: two collector processes share one fleet without double counting, and a database whose
// connections are killed mid-cycle loses and doubles nothing.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { runPollCycle, type HostPollReport } from '../../src/collectors/poll.ts';
import { rows, sql, type Db } from '../../src/db/client.ts';
import { createSimFleet, type SimFleet } from '../../src/hosts/sim/fleet.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { flushAllOpenMinutes, simWorld, usageTotals } from './support.ts';

const run = promisify(execFile);
const isPostgres = Boolean(process.env.TEST_DATABASE_URL);
const CHILD = fileURLToPath(new URL('./fixtures/poll-child.ts', import.meta.url));
const RESTART_CHILD = fileURLToPath(new URL('./fixtures/restart-child.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

/** Every VM's usage_minute sums equal the sim's growth from `from` to its last stored sample. */
async function expectTruth(db: Db, fleet: SimFleet, from: Date) {
  const last = await rows<{ vm: string; ms: string }>(db, sql`select vm_uuid::text as vm, (extract(epoch from sampled_at) * 1000)::bigint::text as ms from vm_meter_state`);
  const totals = await usageTotals(db, 'usage_minute');
  expect(last.length).toBe(fleet.vms.length);
  fleet.advanceTo(Math.max(...last.map((l) => Number(l.ms))));
  for (const { vm, ms } of last) {
    const a = fleet.truthAt(vm, from);
    const b = fleet.truthAt(vm, new Date(Number(ms)));
    const got = totals.get(vm)!;
    expect([got.cpu_seconds, got.disk_read_bytes, got.disk_write_bytes, got.net_rx_bytes, got.net_tx_bytes, got.uptime_seconds]).toEqual([
      b.cpuSeconds - a.cpuSeconds, b.diskReadBytes - a.diskReadBytes, b.diskWriteBytes - a.diskWriteBytes,
      b.netRxBytes - a.netRxBytes, b.netTxBytes - a.netTxBytes, ((Number(ms) - from.getTime()) / 1000).toFixed(3),
    ].map(String));
  }
}

describe.skipIf(!isPostgres)('collectors against PostgreSQL (multi-process, connection loss; skipped on PGlite: set TEST_DATABASE_URL)', () => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('two collector processes share the fleet: both work, nothing is double counted', async () => {
    t = await createTestDatabase();
    const fleetOpts = { seed: 21, hosts: 6, vmsPerHost: 3, start: new Date(Date.now() - 3_600_000) };
    // Baselines at a known instant, from this process; then the children poll on the real clock.
    const baseline = new Date(Math.floor(Date.now() / 1000) * 1000);
    const w = await simWorld(t.db, { start: baseline, fleet: fleetOpts, env: { POLL_INTERVAL_SECONDS: '1' } });
    const first = await runPollCycle(w.ctx);
    expect(first.hosts.every((h) => h.status === 'ok' && h.counts?.baseline === 3)).toBe(true);
    const env = {
      ...process.env, CHILD_DB_URL: t.url!, CHILD_SEED: '21', CHILD_HOSTS: '6', CHILD_VMS: '3',
      CHILD_FLEET_START: fleetOpts.start.toISOString(), CHILD_RUN_MS: '5000', LOG_LEVEL: 'silent',
    };
    const [a, b] = await Promise.all([run(TSX, [CHILD], { env, timeout: 60_000 }), run(TSX, [CHILD], { env, timeout: 60_000 })]);
    const ca = JSON.parse(a.stdout.trim().split('\n').pop()!) as { ok: number; failed: number };
    const cb = JSON.parse(b.stdout.trim().split('\n').pop()!) as { ok: number; failed: number };
    expect(ca.ok).toBeGreaterThan(0);
    expect(cb.ok).toBeGreaterThan(0);
    expect(ca.failed + cb.failed).toBe(0);
    await flushAllOpenMinutes(t.db);
    const [{ n }] = (await rows<{ n: number }>(t.db, sql`select sum(samples)::int as n from usage_minute`)) as [{ n: number }];
    expect(n).toBeGreaterThan(18 * 4); // several polls per VM beyond the baseline
    await expectTruth(t.db, createSimFleet(fleetOpts), baseline);
  }, 120_000);

  it('connections killed during a cycle: the cycle reports failures, the next succeeds, totals equal truth', async () => {
    t = await createTestDatabase();
    const start = new Date('2025-05-01T00:00:00Z');
    const fleetOpts = { seed: 5, hosts: 4, vmsPerHost: 3, start: new Date(start.getTime() - 600_000) };
    const w = await simWorld(t.db, { start, fleet: fleetOpts, env: { HOST_LEASE_SECONDS: '30', POLL_CONCURRENCY: '1' } });
    expect((await runPollCycle(w.ctx)).hosts.every((h) => h.status === 'ok')).toBe(true);

    // Hold a lock the first host's write transaction needs, wait until that transaction blocks on it,
    // terminate its backend, then let go: the write dies mid-transaction, as in a database restart.
    const admin = postgres(t.url!, { max: 2, onnotice: () => {} });
    const firstHost = w.hostIds.get(w.fleet.hostNames[0]!)!;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let lockTaken!: () => void;
    const taken = new Promise<void>((r) => (lockTaken = r));
    const holder = admin.begin(async (tx) => {
      await tx`select 1 from vm_meter_state where host_id = ${firstHost}::uuid for update`;
      lockTaken();
      await held;
    });
    await taken;
    let killed = 0;
    const killer = (async () => {
      for (let i = 0; i < 2000 && killed === 0; i++) {
        const r = await admin`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
                               where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock'`;
        killed += r[0]!.n as number;
        if (killed === 0) await new Promise((res) => setTimeout(res, 5));
      }
      release();
    })();
    // The collector runs in its own process: the driver bug it may hit there is guarded as in production.
    const child = run(TSX, [RESTART_CHILD], {
      timeout: 60_000,
      env: { ...process.env, CHILD_DB_URL: t.url!, CHILD_SEED: '5', CHILD_HOSTS: '4', CHILD_VMS: '3',
        CHILD_FLEET_START: fleetOpts.start.toISOString(), CHILD_NOW: new Date(start.getTime() + 60_000).toISOString() },
    });
    const out = await child;
    await killer;
    await holder;
    await admin.end();
    expect(killed).toBe(1);
    const { bad, good } = JSON.parse(out.stdout.trim().split('\n').pop()!) as Record<'bad' | 'good', HostPollReport[]>;
    const failed = bad.filter((h) => h.status === 'failed');
    expect(failed.map((h) => h.hostName)).toEqual([w.fleet.hostNames[0]]);
    expect(failed[0]!.error).toMatch(/writing usage failed.*(terminat|CONNECTION_CLOSED)/i);
    expect(bad.filter((h) => h.status === 'ok')).toHaveLength(3);
    expect(good.map((h) => h.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    await expectTruth(t.db, createSimFleet(fleetOpts), start);
  }, 120_000);
});
