// A failing host records its failure, never stalls the others, and its next good poll carries the whole delta.
// Also: collectHost on one host, and the metrics the cycle exports.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectorMetrics, renderMetrics } from '../../src/collectors/metrics.ts';
import { collectHost, runPollCycle } from '../../src/collectors/poll.ts';
import { rows, sql } from '../../src/db/client.ts';
import type { HostAdapter } from '../../src/hosts/types.ts';
import { getHost } from '../../src/hosts/registry.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { simWorld, usageTotals, type SimWorld } from './support.ts';

const T0 = new Date('2025-04-01T00:00:00Z');

describe('a failing host', () => {
  let t: TestDatabase;
  let w: SimWorld;
  beforeAll(async () => {
    t = await createTestDatabase();
    w = await simWorld(t.db, { start: T0, fleet: { seed: 11, hosts: 3, vmsPerHost: 2, start: new Date(T0.getTime() - 3_600_000) } });
  });
  afterAll(async () => t.close());

  it('is recorded, the others are unaffected, and the next good poll carries the whole delta', async () => {
    const first = await runPollCycle(w.ctx);
    expect(first.hosts.map((h) => [h.status, h.counts?.baseline])).toEqual([['ok', 2], ['ok', 2], ['ok', 2]]);
    const down = w.fleet.hostNames[1]!;
    w.fleet.setHostDown(down, true, new Date(T0.getTime() + 1));
    const failsBefore = collectorMetrics.pollFailures.get({ host: down });
    for (let i = 1; i <= 5; i++) {
      w.clock.set(T0.getTime() + i * 60_000);
      const r = await runPollCycle(w.ctx);
      const byName = Object.fromEntries(r.hosts.map((h) => [h.hostName, h]));
      expect(byName[down]!.status).toBe('failed');
      expect(byName[down]!.error).toMatch(/HostUnreachable.*simulated outage/);
      expect(r.hosts.filter((h) => h.status === 'ok')).toHaveLength(2);
    }
    expect(collectorMetrics.pollFailures.get({ host: down }) - failsBefore).toBe(5);
    const hostId = w.hostIds.get(down)!;
    const f = await rows<{ n: number }>(t.db, sql`select count(*)::int as n from host_poll_failures where host_id = ${hostId}::uuid`);
    expect(f[0]!.n).toBe(5);
    const h = await getHost(t.db, down);
    expect([h.consecutiveFailures, h.lastError]).toEqual([5, 'HostUnreachable: ' + down + ': no route to host (simulated outage)']);
    const downVms = w.fleet.vms.filter((v) => w.fleet.status(v.uuid).host === down).map((v) => v.uuid);
    const mid = await usageTotals(t.db, 'usage_minute');
    for (const vm of downVms) expect(mid.get(vm)?.cpu_seconds ?? '0').toBe('0');

    w.fleet.setHostDown(down, false, new Date(T0.getTime() + 5 * 60_000 + 1));
    w.clock.set(T0.getTime() + 6 * 60_000);
    const back = await runPollCycle(w.ctx);
    expect(back.hosts.every((x) => x.status === 'ok')).toBe(true);
    const after = await usageTotals(t.db, 'usage_minute');
    for (const vm of downVms) {
      const a = w.fleet.truthAt(vm, T0);
      const b = w.fleet.truthAt(vm, w.clock.now());
      expect([after.get(vm)!.cpu_seconds, after.get(vm)!.net_tx_bytes, after.get(vm)!.disk_write_bytes, after.get(vm)!.uptime_seconds]).toEqual([
        String(b.cpuSeconds - a.cpuSeconds), String(b.netTxBytes - a.netTxBytes), String(b.diskWriteBytes - a.diskWriteBytes), '360.000',
      ]);
    }
    const h2 = await getHost(t.db, down);
    expect([h2.consecutiveFailures, h2.lastError, h2.leaseOwner]).toEqual([0, null, null]);
  });

  it('an adapter that throws or hangs fails only its host (timeout), and malformed output is a failure too', async () => {
    const host = await getHost(t.db, w.fleet.hostNames[0]!);
    const broken: HostAdapter = {
      kind: 'sim',
      sample: async () => ({ xlList: '[]', xentop: 'garbage', ovs: '', vbd: '', takenAt: w.clock.now() }),
      listDomains: async () => '', interfaceStats: async () => '', power: async () => {}, openConsole: async () => { throw new Error('no'); }, close: async () => {},
    };
    w.clock.advance(60_000);
    const r = await collectHost(w.ctx, host, broken);
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/xentop|xl/);
    const hanging: HostAdapter = { ...broken, sample: () => new Promise(() => {}) };
    const ctx = { ...w.ctx, config: { ...w.ctx.config, pollTimeoutSeconds: 1 } };
    const r2 = await collectHost(ctx, host, hanging);
    expect(r2.error).toMatch(/no answer within POLL_TIMEOUT_SECONDS=1/);
  });

  it('exports Prometheus text', () => {
    const text = renderMetrics();
    expect(text).toMatch(/^# TYPE kamikazi_polls_total counter$/m);
    expect(text).toMatch(/^kamikazi_polls_total\{result="ok"\} \d+$/m);
    expect(text).toMatch(/^kamikazi_poll_failures_total\{host="sim-02"\} 5$/m);
    expect(text).toMatch(/^kamikazi_poll_duration_seconds_bucket\{le="\+Inf"\} \d+$/m);
    expect(text).toMatch(/^kamikazi_poll_duration_seconds_count \d+$/m);
    expect(text).toMatch(/^kamikazi_samples_written_total \d+$/m);
    expect(text).toMatch(/^kamikazi_poll_cycle_last_duration_seconds [\d.e-]+$/m);
  });
});
