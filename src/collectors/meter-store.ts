// vm_meter_state and vms in bulk: load the stored states under row locks, upsert the next states.
// One statement per table per batch (unnest of array parameters), never row-by-row.
import { pgArray, rows, sql, type Db } from '../db/client.ts';
import type { MeterState } from './deltas.ts';
import { openUsageJson, parseOpenMinute, type OpenMinute } from './open-minute.ts';
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
  open_ms: string | null;
  open_usage: string | null;
}

/** A VM's meter state as stored: the counters of its last sample and its open minute (open-minute.ts). */
export interface StoredMeterState extends MeterState {
  open: OpenMinute | null;
}

/** The stored states of these VMs, locked FOR UPDATE (in uuid order, so concurrent batches cannot deadlock). */
export async function loadMeterStates(tx: Db, uuids: string[]): Promise<Map<string, StoredMeterState>> {
  const out = new Map<string, StoredMeterState>();
  if (uuids.length === 0) return out;
  const r = await rows<StateRow>(
    tx,
    sql`select vm_uuid::text, host_id::text, domid, (extract(epoch from sampled_at) * 1000)::bigint::text as sampled_ms,
               state, vcpus, memory_kib::text, counters::text,
               (extract(epoch from open_bucket) * 1000)::bigint::text as open_ms, open_usage::text
          from vm_meter_state where vm_uuid = any(${pgArray(uuids)}::uuid[]) order by vm_uuid for update`,
  );
  for (const s of r) {
    const raw = JSON.parse(s.counters) as Record<string, string>;
    const counters: Record<string, bigint> = {};
    for (const k of Object.keys(raw)) counters[k] = BigInt(raw[k]!);
    out.set(s.vm_uuid, {
      hostId: s.host_id,
      domid: s.domid,
      sampledAt: new Date(Number(s.sampled_ms)),
      state: normalizeState(s.state),
      vcpus: s.vcpus,
      memoryKiB: BigInt(s.memory_kib),
      counters,
      open: parseOpenMinute(s.open_ms, s.open_usage),
    });
  }
  return out;
}

/** Upsert next states; a row already holding a newer sample is never overwritten (racing collectors). */
export async function saveMeterStates(tx: Db, states: Array<[string, StoredMeterState]>): Promise<void> {
  if (states.length === 0) return;
  const uuids: string[] = [];
  const hosts: string[] = [];
  const domids: number[] = [];
  const at: string[] = [];
  const st: string[] = [];
  const vcpus: number[] = [];
  const mem: bigint[] = [];
  const counters: string[] = ['{'];
  const openAt: Array<string | null> = [];
  const openUsage: Array<string | null> = [];
  for (const [u, s] of states) {
    uuids.push(u);
    hosts.push(s.hostId);
    domids.push(s.domid);
    at.push(s.sampledAt.toISOString());
    st.push(s.state);
    vcpus.push(s.vcpus);
    mem.push(s.memoryKiB);
    openAt.push(s.open ? new Date(s.open.minuteMs).toISOString() : null);
    openUsage.push(s.open ? openUsageJson(s.open) : null);
    if (counters.length > 1) counters.push(',');
    countersElement(s.counters, counters);
  }
  counters.push('}');
  await rows(
    tx,
    sql`insert into vm_meter_state (vm_uuid, host_id, domid, sampled_at, state, vcpus, memory_kib, counters, open_bucket, open_usage)
        select * from unnest(${pgArray(uuids)}::uuid[], ${pgArray(hosts)}::uuid[],
                             ${pgArray(domids)}::int[], ${pgArray(at)}::timestamptz[],
                             ${pgArray(st)}::text[], ${pgArray(vcpus)}::int[],
                             ${pgArray(mem)}::numeric[], ${counters.join('')}::jsonb[],
                             ${pgArray(openAt)}::timestamptz[], ${quotedArray(openUsage)}::jsonb[])
        on conflict (vm_uuid) do update set host_id = excluded.host_id, domid = excluded.domid, sampled_at = excluded.sampled_at,
          state = excluded.state, vcpus = excluded.vcpus, memory_kib = excluded.memory_kib, counters = excluded.counters,
          open_bucket = excluded.open_bucket, open_usage = excluded.open_usage
        where vm_meter_state.sampled_at < excluded.sampled_at`,
  );
}

/** Keys made of these characters need no escaping, neither in JSON nor in an array literal. */
const PLAIN_KEY_RE = /^[A-Za-z0-9:_.-]*$/;
const keyText = new Map<string, string>();

/**
 * One element of a jsonb[] array literal, appended to `out` in pieces: the counters as a JSON object of
 * decimal strings (`{"cpu":"12"}`), double-quoted for the array with `\` and `"` escaped — what
 * quotedArray([JSON.stringify(...)]) gives, without the intermediate strings.
 */
function countersElement(c: Record<string, bigint>, out: string[]): void {
  out.push('"{');
  let first = true;
  for (const k of Object.keys(c)) {
    let kt = keyText.get(k);
    if (kt === undefined) {
      kt = PLAIN_KEY_RE.test(k) ? `\\"${k}\\":\\"` : `${quotedArray([JSON.stringify(k)]).slice(2, -2)}:\\"`;
      if (keyText.size > 10_000) keyText.clear();
      keyText.set(k, kt);
    }
    if (!first) out.push(',');
    out.push(kt, c[k]!.toString(), '\\"');
    first = false;
  }
  out.push('}"');
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
