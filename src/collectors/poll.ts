// The poll cycle: lease due hosts, sample each through its adapter (bounded concurrency, per-host timeout),
// parse + join, and hand the samples to the bucket writer in multi-host transactions. One failing host
// never stalls the others; its failure is recorded and its usage waits in its counters for the next poll.
import { performance } from 'node:perf_hooks';
import type { AppContext } from '../context.ts';
import type { HostRecord } from '../hosts/registry.ts';
import type { HostAdapter } from '../hosts/types.ts';
import { recordPollFailures, type PollFailure } from './failures.ts';
import { leaseDueHosts, PROCESS_COLLECTOR_ID } from './lease.ts';
import { collectorMetrics as m } from './metrics.ts';
import { sampleHost } from './sample-host.ts';
import { writeHostBatch, type HostSampleToWrite, type HostWriteResult } from './write-batch.ts';

export interface HostPollReport {
  hostId: string;
  hostName: string;
  /** ok: written; failed: sampling/parsing/writing failed (recorded); lease-lost: another collector took it over. */
  status: 'ok' | 'failed' | 'lease-lost' | 'gone';
  vms: number;
  counts?: HostWriteResult['counts'];
  anomalies: number;
  error?: string;
  /** Sample + parse time, ms (wall). */
  sampleMs: number;
}

export interface CycleReport {
  startedAt: Date;
  durationMs: number;
  hosts: HostPollReport[];
}

export interface PollOptions {
  /** Lease owner id; default: this process's id. */
  owner?: string;
  /** Most hosts leased per cycle. */
  limit?: number;
  /** Hosts per write transaction. */
  hostsPerTransaction?: number;
  /** Write transactions in flight at once. */
  writers?: number;
}

interface Sampled {
  host: HostRecord;
  sampleMs: number;
  result: { ok: true; item: HostSampleToWrite } | { ok: false; error: string };
}

/** One cycle over the hosts that are due now. */
export async function runPollCycle(ctx: AppContext, opts: PollOptions = {}): Promise<CycleReport> {
  const t0 = performance.now();
  const startedAt = ctx.clock.now();
  const owner = opts.owner ?? PROCESS_COLLECTOR_ID;
  const lease = () => leaseDueHosts(ctx.db, { owner, now: startedAt, leaseSeconds: ctx.config.hostLeaseSeconds, limit: opts.limit ?? 10_000 });
  // One retry: after a database restart the first statement on a pooled connection that died while idle
  // fails; the lease is a single statement, so a failed attempt leased nothing (or leases that expire).
  const leased = await lease().catch(async (err: unknown) => {
    ctx.log.warn({ err: errorText(err) }, 'leasing hosts failed, retrying once');
    await new Promise((r) => setTimeout(r, 200));
    return lease();
  });
  const reports = await pollHosts(ctx, leased, owner, startedAt, opts, (h) => ctx.hosts.adapterFor(h));
  const durationMs = performance.now() - t0;
  m.lastCycleDuration.set(durationMs / 1000);
  m.lastCycleHosts.set(reports.length);
  return { startedAt, durationMs, hosts: reports };
}

/**
 * Polls ONE host through the given adapter and writes its usage in one transaction: the same path as a
 * cycle, without leasing. Public for callers that hold an adapter themselves (tests against real hosts,
 * an operator's "poll now"). A host leased by another live collector is left alone (`lease-lost`).
 */
export async function collectHost(ctx: AppContext, host: HostRecord, adapter: HostAdapter, opts: { owner?: string } = {}): Promise<HostPollReport> {
  const now = ctx.clock.now();
  const [r] = await pollHosts(ctx, [host], opts.owner ?? PROCESS_COLLECTOR_ID, now, {}, () => adapter);
  return r!;
}

async function pollHosts(
  ctx: AppContext,
  hosts: HostRecord[],
  owner: string,
  now: Date,
  opts: PollOptions,
  adapterFor: (h: HostRecord) => HostAdapter,
): Promise<HostPollReport[]> {
  const nextPollAt = new Date(now.getTime() + ctx.config.pollIntervalSeconds * 1000);
  const wopts = { owner, now, nextPollAt };
  const perTx = opts.hostsPerTransaction ?? 50;
  const maxWriters = opts.writers ?? 3;
  const reports = new Map<string, HostPollReport>();
  const failures: PollFailure[] = [];
  const inflight = new Set<Promise<void>>();
  let pending: Sampled[] = [];

  const fail = (s: Sampled, error: string) => {
    reports.set(s.host.id, { hostId: s.host.id, hostName: s.host.name, status: 'failed', vms: 0, anomalies: 0, error, sampleMs: s.sampleMs });
    failures.push({ hostId: s.host.id, error });
    m.polls.inc({ result: 'failed' });
    m.pollFailures.inc({ host: s.host.name });
    ctx.log.warn({ host: s.host.name, error }, 'host poll failed');
  };
  const flush = async () => {
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    try {
      const written = await writeHostBatch(ctx.db, batch.map((s) => (s.result as { item: HostSampleToWrite }).item), wopts);
      batch.forEach((s, i) => {
        const w = written[i]!;
        const status = w.status === 'written' ? 'ok' : w.status;
        reports.set(s.host.id, { hostId: s.host.id, hostName: s.host.name, status, vms: w.vms, counts: w.counts, anomalies: w.anomalies, sampleMs: s.sampleMs });
        m.polls.inc({ result: status === 'ok' ? 'ok' : 'lease_lost' });
        m.samplesWritten.inc({}, w.vms - w.counts.stale);
        m.anomalies.inc({}, w.anomalies);
      });
    } catch (err) {
      for (const s of batch) fail(s, `writing usage failed: ${errorText(err)}`);
    }
  };
  const startFlush = async () => {
    while (inflight.size >= maxWriters) await Promise.race(inflight);
    const p = flush().finally(() => inflight.delete(p));
    inflight.add(p);
  };

  await forEachLimit(hosts, ctx.config.pollConcurrency, async (host) => {
    const s = await sampleWithTimeout(ctx, host, adapterFor);
    if (!s.result.ok) return fail(s, s.result.error);
    pending.push(s);
    if (pending.length >= perTx) await startFlush();
  });
  await startFlush();
  await Promise.all(inflight);
  if (failures.length > 0) {
    try {
      await recordPollFailures(ctx.db, failures, wopts);
    } catch (err) {
      // The database itself is unreachable: the leases expire and the hosts are polled again.
      ctx.log.error({ err: errorText(err), hosts: failures.length }, 'could not record poll failures');
    }
  }
  return hosts.map((h) => reports.get(h.id)!);
}

async function sampleWithTimeout(ctx: AppContext, host: HostRecord, adapterFor: (h: HostRecord) => HostAdapter): Promise<Sampled> {
  const t = performance.now();
  const timeoutMs = ctx.config.pollTimeoutSeconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const adapter = adapterFor(host);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within POLL_TIMEOUT_SECONDS=${ctx.config.pollTimeoutSeconds}`)), timeoutMs);
    });
    const sample = await Promise.race([sampleHost(adapter), timeout]);
    const sampleMs = performance.now() - t;
    m.pollDuration.observe(sampleMs / 1000);
    for (const skip of sample.skipped) ctx.log.debug({ host: host.name, skip }, 'sample row skipped');
    return { host, sampleMs, result: { ok: true, item: { hostId: host.id, sample } } };
  } catch (err) {
    return { host, sampleMs: performance.now() - t, result: { ok: false, error: errorText(err) } };
  } finally {
    clearTimeout(timer);
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.startsWith(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
