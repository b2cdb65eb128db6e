// vm_meter_state and vms in bulk: load the stored states under row locks, upsert the next states.
// One statement per table per batch (unnest of array parameters), never row-by-row.
import { pgArray, rows, sql, type Db } from '../db/client.ts';
import type { MeterState } from './deltas.ts';
import { quotedArray } from './pg-arrays.ts';
import { normalizeState, type VmSample } from './sample.ts';

interface StateRow {
  vm_uuid: string;
  host_id: string;
  domid: number;
  sampled_ms: string;
  state: string;
  vcpus: number;
  memory_kib: string;
  counters: string;
}

/** The stored states of these VMs, locked FOR UPDATE (in uuid order, so concurrent batches cannot deadlock). */
export async function loadMeterStates(tx: Db, uuids: string[]): Promise<Map<string, MeterState>> {
  const out = new Map<string, MeterState>();
  if (uuids.length === 0) return out;
  const r = await rows<StateRow>(
    tx,
    sql`select vm_uuid::text, host_id::text, domid, (extract(epoch from sampled_at) * 1000)::bigint::text as sampled_ms,
               state, vcpus, memory_kib::text, counters::text
          from vm_meter_state where vm_uuid = any(${pgArray(uuids)}::uuid[]) order by vm_uuid for update`,
  );
  for (const s of r) {
    const raw = JSON.parse(s.counters) as Record<string, string>;
    const counters: Record<string, bigint> = {};
    for (const [k, v] of Object.entries(raw)) counters[k] = BigInt(v);
    out.set(s.vm_uuid, {
      hostId: s.host_id,
      domid: s.domid,
      sampledAt: new Date(Number(s.sampled_ms)),
      state: normalizeState(s.state),
      vcpus: s.vcpus,
      memoryKiB: BigInt(s.memory_kib),
      counters,
    });
  }
  return out;
}

/** Upsert next states; a row already holding a newer sample is never overwritten (racing collectors). */
export async function saveMeterStates(tx: Db, states: Array<[string, MeterState]>): Promise<void> {
  if (states.length === 0) return;
  const col = <T extends string | number | bigint>(f: (s: MeterState, uuid: string) => T) => states.map(([u, s]) => f(s, u));
  const counters = quotedArray(
    states.map(([, s]) => JSON.stringify(Object.fromEntries(Object.entries(s.counters).map(([k, v]) => [k, v.toString()])))),
  );
  await rows(
    tx,
    sql`insert into vm_meter_state (vm_uuid, host_id, domid, sampled_at, state, vcpus, memory_kib, counters)
        select * from unnest(${pgArray(col((_, u) => u))}::uuid[], ${pgArray(col((s) => s.hostId))}::uuid[],
                             ${pgArray(col((s) => s.domid))}::int[], ${pgArray(col((s) => s.sampledAt.toISOString()))}::timestamptz[],
                             ${pgArray(col((s) => s.state))}::text[], ${pgArray(col((s) => s.vcpus))}::int[],
                             ${pgArray(col((s) => s.memoryKiB))}::numeric[], ${counters}::jsonb[])
        on conflict (vm_uuid) do update set host_id = excluded.host_id, domid = excluded.domid, sampled_at = excluded.sampled_at,
          state = excluded.state, vcpus = excluded.vcpus, memory_kib = excluded.memory_kib, counters = excluded.counters
        where vm_meter_state.sampled_at < excluded.sampled_at`,
  );
}

export interface SeenVm {
  sample: VmSample;
  hostId: string;
  takenAt: Date;
}

/** Latest observed attributes of each VM (name, host, domid, state, size); first_seen_at only on insert. */
export async function upsertVms(tx: Db, seen: SeenVm[]): Promise<void> {
  if (seen.length === 0) return;
  const memMiB = (s: VmSample) => s.memoryKiB / 1024n;
  await rows(
    tx,
    sql`insert into vms (uuid, name, host_id, domid, state, vcpus, memory_mib, first_seen_at, last_seen_at)
        select u, n, h, d, st, vc, m, t, t
          from unnest(${pgArray(seen.map((v) => v.sample.uuid))}::uuid[], ${quotedArray(seen.map((v) => v.sample.name))}::text[],
                      ${pgArray(seen.map((v) => v.hostId))}::uuid[], ${pgArray(seen.map((v) => v.sample.domid))}::int[],
                      ${pgArray(seen.map((v) => v.sample.state))}::text[], ${pgArray(seen.map((v) => v.sample.vcpus))}::int[],
                      ${pgArray(seen.map((v) => memMiB(v.sample)))}::int[], ${pgArray(seen.map((v) => v.takenAt.toISOString()))}::timestamptz[])
               as x(u, n, h, d, st, vc, m, t)
        on conflict (uuid) do update set name = excluded.name, host_id = excluded.host_id, domid = excluded.domid,
          state = excluded.state, vcpus = excluded.vcpus, memory_mib = excluded.memory_mib, last_seen_at = excluded.last_seen_at
        where vms.last_seen_at < excluded.last_seen_at`,
  );
}
