// Metering benchmarks: ingest into usage_minute vs raw COPY, a 1,000-host poll cycle, a 30-day rollup.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { ManualClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import type { AppContext } from '../src/context.ts';
import { createProviderRegistry } from '../src/billing/payments/select.ts';
import { inTransaction } from '../src/db/client.ts';
import { runPollCycle } from '../src/collectors/poll.ts';
import { rollup } from '../src/collectors/rollup.ts';
import { MinuteAggregator, writeMinuteUsage } from '../src/collectors/usage-writer.ts';
import { commitWithoutFlushWait } from '../src/collectors/write-batch.ts';
import { ZERO_USAGE } from '../src/collectors/deltas.ts';
import { startRemoteSimFleet } from './sim-fleet-remote.ts';
import { silentLogger } from '../src/log.ts';
import { createBenchDatabase, fmt, median, progress, report, timed } from './support.ts';

const uuidOf = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

/**
 * Rows written into usage_minute through the collector's writer vs COPY of the same rows into a plain table,
 * in alternating rounds.
 * A VM's minute is written once, when a sample in a later minute closes it (open-minute.ts): one batch holds
 * the minutes a poll cycle of a large fleet closes. Two shapes: new keys (the collector's path, binary COPY)
 * and keys already there (the upsert the writer falls back to, e.g. rows an older version wrote).
 */
export async function benchIngest(vms = 2_000, minutes = 100, rounds = 3): Promise<void> {
  const b = await createBenchDatabase('ingest');
  try {
    const total = vms * minutes;
    const start = Date.UTC(2026, 0, 1);
    progress(`ingest: ${fmt(total)} rows × ${rounds} rounds, each beside a COPY of the same rows`);
    const usage = { ...ZERO_USAGE, cpuSeconds: 7n, vcpuMs: 20_000n, memMibMs: 40_960_000n, diskReadBytes: 4096n, diskWriteBytes: 8192n, netRxBytes: 1500n, netTxBytes: 900n, uptimeMs: 10_000n };
    const minuteOf = (round: number, m: number) => start + (round * minutes + m) * 60_000;
    const batches = (round: number) =>
      Array.from({ length: minutes }, (_, m) => {
        const agg = new MinuteAggregator();
        for (let v = 0; v < vms; v++) agg.addMinute(uuidOf(v), { minuteMs: minuteOf(round, m), samples: 1, usage });
        return agg;
      });
    // As many transactions in flight as the poll cycle keeps (poll.ts: 3 writers).
    const writeAll = (batches: MinuteAggregator[]) =>
      timed(async () => {
        let next = 0;
        const writer = async () => {
          while (next < batches.length) {
            const agg = batches[next++];
            await inTransaction(b.database.db, async (tx) => {
              await commitWithoutFlushWait(tx); // as the bucket writer's transactions do
              await writeMinuteUsage(tx, agg);
            });
          }
        };
        await Promise.all([writer(), writer(), writer()]);
      });
    const copyAll = (round: number) =>
      timed(async () => {
        await b.raw.unsafe(`create table copy_baseline_${round} (like usage_minute)`);
        const lines = function* () {
          for (let m = 0; m < minutes; m++) {
            const t = new Date(minuteOf(round, m)).toISOString();
            let chunk = '';
            for (let v = 0; v < vms; v++) chunk += `${uuidOf(v)}\t${t}\t7\t20.000\t40000.000\t4096\t8192\t1500\t900\t10.000\t1\n`;
            yield chunk;
          }
        };
        const sink = (await b.raw.unsafe(`copy copy_baseline_${round} (vm_uuid, bucket, cpu_seconds, vcpu_seconds, mem_mib_seconds, disk_read_bytes, disk_write_bytes, net_rx_bytes, net_tx_bytes, uptime_seconds, samples) from stdin`).writable()) as Writable;
        await pipeline(Readable.from(lines()), sink);
      });
    // Rounds alternate baseline and collector, so drift on the machine hits both alike, and each starts after a
    // CHECKPOINT, so neither pays for flushing the other's dirty pages; the medians are compared.
    const copies: number[] = [];
    const ours: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await b.raw`checkpoint`;
      copies.push((await copyAll(round)).ms);
      const mine = batches(round);
      await b.raw`checkpoint`;
      ours.push((await writeAll(mine)).ms);
    }
    const later = await writeAll(batches(0));
    const [check] = await b.raw<{ keys: number; wrong: number }[]>`
      select count(*)::int as keys,
             count(*) filter (where samples <> (case when bucket < ${new Date(minuteOf(1, 0)).toISOString()}::timestamptz then 2 else 1 end)
                                 or cpu_seconds <> 7 * samples)::int as wrong
        from usage_minute`;
    if (check.keys !== total * rounds || check.wrong !== 0) {
      throw new Error(`bench ingest: expected ${total * rounds} keys (round 0's written twice), found ${check.keys} keys, ${check.wrong} wrong`);
    }
    const rate = (ms: number) => (total * 1000) / ms;
    const copyRate = rate(median(copies));
    const ratio = (ms: number) => `${fmt((rate(ms) / copyRate) * 100, 1)}% of COPY`;
    const spread = (xs: number[]) => `(rounds: ${xs.map((ms) => fmt(rate(ms))).join(', ')})`;
    report(`ingest into usage_minute (PostgreSQL), medians of ${rounds} alternating rounds`, [
      ['baseline: raw COPY into a plain table (one statement)', `${fmt(copyRate)} rows/s ${spread(copies)}`],
      ['collector, closed minutes (binary COPY, 2,000 per transaction)', `${fmt(rate(median(ours)))} rows/s = ${ratio(median(ours))} (goal ≥ 50%) ${spread(ours)}`],
      ['fallback, minutes already there (upsert adds; one round)', `${fmt(rate(later.ms))} rows/s = ${ratio(later.ms)}`],
    ]);
  } finally {
    await b.drop();
  }
}

/**
 * One poll cycle of 1,000 simulated hosts × 20 VMs: parse + delta + write. The fleet runs in a child process
 * (bench/sim-fleet-child.mts) standing in for the dom0s: each cycle its hosts print their tools' output first,
 * then the collector here polls them over IPC, so this process's wall time, CPU and RSS are the collector's.
 */
export async function benchPollCycle(intervalSeconds = 10): Promise<void> {
  const b = await createBenchDatabase('poll');
  const start = new Date(Date.UTC(2026, 0, 1));
  progress('poll: starting the 1,000-host sim fleet in its own process');
  const fleet = await startRemoteSimFleet({
    seed: 7, start, hosts: 1000, vmsPerHost: 20,
    events: { rebootsPerDay: 0.5, shutdownsPerDay: 0, migrationsPerDay: 0.1, hostOutagesPerDay: 0.1 },
  });
  try {
    const clock = new ManualClock(start);
    const config = { ...loadConfig({}), pollIntervalSeconds: intervalSeconds, pollConcurrency: 64 };
    const ctx: AppContext = {
      db: b.database.db,
      clock,
      log: silentLogger,
      config,
      hosts: fleet.provider,
      payments: createProviderRegistry(config.payments, clock),
    };
    // Due at the manual clock's start (the column's default is the database's real now()).
    await b.raw`insert into hosts (name, adapter, next_poll_at) select unnest(${fleet.hostNames}::text[]), 'sim', ${start.toISOString()}::timestamptz`;
    progress('poll: first cycle sets baselines');
    await fleet.prepare(start);
    await runPollCycle(ctx);
    const cycles: Array<{ ms: number; cpuMs: number; hosts: number; vms: number; failed: number }> = [];
    let peakRss = 0;
    for (let i = 0; i < 5; i++) {
      clock.advance(intervalSeconds * 1000);
      await fleet.prepare(clock.now());
      const cpu0 = process.cpuUsage();
      const r = await timed(() => runPollCycle(ctx));
      const cpu = process.cpuUsage(cpu0);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      const ok = r.value.hosts.filter((h) => !h.error);
      cycles.push({ ms: r.ms, cpuMs: (cpu.user + cpu.system) / 1000, hosts: r.value.hosts.length, vms: ok.reduce((s, h) => s + h.vms, 0), failed: r.value.hosts.length - ok.length });
    }
    const byMs = [...cycles].sort((a, c) => a.ms - c.ms);
    const median = byMs[Math.floor(byMs.length / 2)];
    const heap = process.memoryUsage().heapUsed / 2 ** 20;
    report(`poll cycle: ${median.hosts} sim hosts (${median.failed} down), ${fmt(median.vms)} VMs (parse + delta + write, PostgreSQL)`, [
      ['wall, median of 5 (goal < 2 s)', `${fmt(median.ms)} ms (best ${fmt(byMs[0].ms)} ms, worst ${fmt(byMs[byMs.length - 1].ms)} ms)`],
      [`collector CPU per ${intervalSeconds} s interval (goal < 25%)`, `${fmt((median.cpuMs / (intervalSeconds * 1000)) * 100, 1)}% of one core (${fmt(median.cpuMs)} ms per cycle)`],
      ['collector process peak RSS (goal < 200 MB)', `${fmt(peakRss / 2 ** 20)} MB, JS heap in use ${fmt(heap)} MB (sim fleet in its own process)`],
    ]);
    await ctx.hosts.closeAll();
  } finally {
    await fleet.close();
    await b.drop();
  }
}

/** Rollup of N days of minute buckets for V VMs vs a bare INSERT … SELECT … GROUP BY of the same data. */
export async function benchRollup(vms = 1_000, days = 30): Promise<void> {
  const b = await createBenchDatabase('rollup');
  try {
    const start = new Date(Date.UTC(2026, 0, 1));
    const end = new Date(start.getTime() + days * 86_400_000);
    progress(`rollup: generating ${fmt(vms * days * 1440)} minute buckets (${vms} VMs × ${days} days)`);
    for (let d = 0; d < days; d++) {
      const from = new Date(start.getTime() + d * 86_400_000).toISOString();
      await b.raw.unsafe(
        `insert into usage_minute (vm_uuid, bucket, cpu_seconds, vcpu_seconds, mem_mib_seconds, disk_read_bytes, disk_write_bytes, net_rx_bytes, net_tx_bytes, uptime_seconds, samples)
         select ('00000000-0000-4000-8000-' || lpad(to_hex(v), 12, '0'))::uuid, m, 30, 120, 245760, 4096 * (v % 7), 8192, 1500 * (v % 13), 900, 60, 6
         from generate_series(0, ${vms - 1}) v, generate_series($1::timestamptz, $1::timestamptz + interval '1 day' - interval '1 minute', interval '1 minute') m`,
        [from],
      );
      if ((d + 1) % 10 === 0) progress(`rollup: ${d + 1}/${days} days generated`);
    }
    await b.raw`vacuum analyze usage_minute`;
    const config = { ...loadConfig({}), minuteRetentionDays: days + 5 };
    const ctx = { db: b.database.db, clock: new ManualClock(end.getTime() + 3_600_000), log: silentLogger, config };
    const ours = await timed(async () => {
      await rollup(ctx, 'hour', { from: start, to: end });
      await rollup(ctx, 'day', { from: start, to: end });
    });
    await b.raw.unsafe(`create table baseline_hour (like usage_hour)`);
    const bare = await timed(() =>
      b.raw.unsafe(
        `insert into baseline_hour select vm_uuid, date_trunc('hour', bucket, 'UTC'), sum(cpu_seconds), sum(vcpu_seconds), sum(mem_mib_seconds),
           sum(disk_read_bytes), sum(disk_write_bytes), sum(net_rx_bytes), sum(net_tx_bytes), sum(uptime_seconds), sum(samples)
         from usage_minute group by 1, 2`,
      ),
    );
    report(`rollup: ${days} days of minute buckets for ${fmt(vms)} VMs (${fmt(vms * days * 1440)} rows)`, [
      ['kamikazi rollup (minute → hour, hour → day)', `${fmt(ours.ms / 1000, 1)} s`],
      ['baseline: bare INSERT … SELECT … GROUP BY (minute → hour)', `${fmt(bare.ms / 1000, 1)} s`],
      ['ratio (ours / baseline)', `${fmt(ours.ms / bare.ms, 2)}×`],
    ]);
  } finally {
    await b.drop();
  }
}
