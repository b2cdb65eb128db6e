// The bucket writer: several hosts' samples → deltas → each VM's open minute (kept in vm_meter_state), the
// minutes those samples closed → usage_minute, plus vms, anomalies and the hosts' poll status, all in ONE
// transaction, so a crash neither loses nor doubles a delta.
import { inTransaction, pgArray, postgresTransactionOf, rows, sql, type Db } from '../db/client.ts';
import { computeDeltas, type DeltaBasis } from './deltas.ts';
import { loadMeterStates, saveMeterStates, upsertVms, type SeenVm, type StoredMeterState } from './meter-store.ts';
import { foldDelta } from './open-minute.ts';
import type { HostSample } from './sample.ts';
import { MinuteAggregator, writeAnomalies, writeMinuteUsage, type AnomalyRow } from './usage-writer.ts';

export interface HostSampleToWrite {
  hostId: string;
  sample: HostSample;
}

export interface HostWriteResult {
  hostId: string;
  /** `lease-lost`: another collector holds this host now; nothing of this sample was written. */
  status: 'written' | 'lease-lost' | 'gone';
  vms: number;
  counts: Record<DeltaBasis, number>;
  anomalies: number;
}

export interface WriteOptions {
  /** This collector's lease owner id. */
  owner: string;
  /** Clock time of the write (for the lease check and last_poll_at). */
  now: Date;
  nextPollAt: Date;
}

interface HostLockRow {
  id: string;
  last_ms: string | null;
  lease_owner: string | null;
  lease_live: boolean;
}

export async function writeHostBatch(db: Db, items: HostSampleToWrite[], opts: WriteOptions): Promise<HostWriteResult[]> {
  if (items.length === 0) return [];
  return inTransaction(db, async (tx) => {
    await commitWithoutFlushWait(tx);
    // Row locks on the hosts, then the lease re-check: a collector whose lease expired and was taken over
    // writes nothing; whoever writes second computes its deltas against the first one's state (read below,
    // under the same locks), so two processes never count the same growth twice.
    const locked = await rows<HostLockRow>(
      tx,
      sql`select id::text, (extract(epoch from last_success_at) * 1000)::bigint::text as last_ms, lease_owner,
                 coalesce(lease_until >= ${opts.now.toISOString()}::timestamptz, false) as lease_live
            from hosts where id = any(${pgArray(items.map((i) => i.hostId))}::uuid[]) order by id for update`,
    );
    const lockById = new Map(locked.map((h) => [h.id, h]));
    const results: HostWriteResult[] = [];
    const accepted: HostSampleToWrite[] = [];
    for (const item of items) {
      const h = lockById.get(item.hostId);
      const status = !h ? 'gone' : h.lease_owner === null || h.lease_owner === opts.owner || !h.lease_live ? 'written' : 'lease-lost';
      if (status === 'written') accepted.push(item);
      results.push({ hostId: item.hostId, status, vms: 0, counts: emptyCounts(), anomalies: 0 });
    }

    const resultById = new Map(results.map((r) => [r.hostId, r]));
    const states = await loadMeterStates(tx, [...new Set(accepted.flatMap((i) => i.sample.vms.map((v) => v.uuid)))]);
    const changed = new Map<string, StoredMeterState>();
    const agg = new MinuteAggregator();
    const anomalies: AnomalyRow[] = [];
    const seen: SeenVm[] = [];
    for (const item of accepted) {
      const res = resultById.get(item.hostId)!;
      const h = lockById.get(item.hostId)!;
      const ctx = { hostId: item.hostId, takenAt: item.sample.takenAt, hostLastSuccessAt: h.last_ms === null ? null : new Date(Number(h.last_ms)) };
      for (const vm of item.sample.vms) {
        const prev = states.get(vm.uuid);
        const d = computeDeltas(prev, vm, ctx);
        res.counts[d.basis] += 1;
        res.vms += 1;
        if (d.basis === 'stale' || !d.usage) continue;
        const { open, closed } = foldDelta(prev?.open, ctx.takenAt, d.usage);
        if (closed) agg.addMinute(vm.uuid, closed);
        const next: StoredMeterState = { ...d.nextState, open };
        states.set(vm.uuid, next); // a VM reported twice in one batch is deltaed against the first
        changed.set(vm.uuid, next);
        seen.push({ sample: vm, hostId: item.hostId, takenAt: ctx.takenAt });
        for (const a of d.anomalies) anomalies.push({ ...a, vm: vm.uuid, hostId: item.hostId, at: ctx.takenAt });
        res.anomalies += d.anomalies.length;
      }
    }
    await writeMinuteUsage(tx, agg);
    await saveMeterStates(tx, [...changed.entries()]);
    await upsertVms(tx, dedupeLatest(seen));
    await writeAnomalies(tx, anomalies);
    if (accepted.length > 0) {
      await rows(
        tx,
        sql`update hosts set last_poll_at = ${opts.now.toISOString()}::timestamptz, last_success_at = greatest(hosts.last_success_at, x.taken),
                   consecutive_failures = 0, last_error = null, next_poll_at = ${opts.nextPollAt.toISOString()}::timestamptz,
                   lease_owner = null, lease_until = null
              from unnest(${pgArray(accepted.map((i) => i.hostId))}::uuid[], ${pgArray(accepted.map((i) => i.sample.takenAt.toISOString()))}::timestamptz[]) as x(id, taken)
             where hosts.id = x.id`,
      );
    }
    return results;
  });
}

/**
 * A usage transaction's deltas commit with the meter state they were computed from, so a commit lost in a server
 * crash is not lost usage: the next poll computes the same growth again from the older state. So the commit
 * need not wait for its WAL flush. (PGlite: no such setting worth having.)
 */
export async function commitWithoutFlushWait(tx: Db): Promise<void> {
  await postgresTransactionOf(tx)?.unsafe('set local synchronous_commit = off');
}

function emptyCounts(): Record<DeltaBasis, number> {
  return { stale: 0, baseline: 0, 'booted-since': 0, 'new-incarnation': 0, continued: 0 };
}

/** One vms row per uuid per statement: the latest sighting wins. */
function dedupeLatest(seen: SeenVm[]): SeenVm[] {
  const by = new Map<string, SeenVm>();
  for (const s of seen) {
    const cur = by.get(s.sample.uuid);
    if (!cur || cur.takenAt < s.takenAt) by.set(s.sample.uuid, s);
  }
  return [...by.values()];
}
