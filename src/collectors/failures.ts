// Failed polls: one host_poll_failures row each (gaps are explained) and the host's error status. Nothing
// of the host's usage is lost: its counters still hold it and the next good poll carries the whole delta.
import { pgArray, rows, sql, type Db } from '../db/client.ts';
import { quotedArray } from './pg-arrays.ts';

export interface PollFailure {
  hostId: string;
  error: string;
}

export async function recordPollFailures(
  db: Db,
  failures: PollFailure[],
  o: { owner: string; now: Date; nextPollAt: Date },
): Promise<void> {
  if (failures.length === 0) return;
  const ids = pgArray(failures.map((f) => f.hostId));
  const errors = quotedArray(failures.map((f) => f.error.slice(0, 2000)));
  const now = o.now.toISOString();
  await db.transaction(async (tx) => {
    await rows(
      tx as unknown as Db,
      sql`insert into host_poll_failures (host_id, at, error)
          select x.id, ${now}::timestamptz, x.err from unnest(${ids}::uuid[], ${errors}::text[]) as x(id, err)
           where exists (select 1 from hosts where hosts.id = x.id)`,
    );
    // The lease is released only if still ours: a collector that took the host over keeps it.
    await rows(
      tx as unknown as Db,
      sql`update hosts set last_poll_at = ${now}::timestamptz, last_error = x.err, last_error_at = ${now}::timestamptz,
                 consecutive_failures = consecutive_failures + 1, next_poll_at = ${o.nextPollAt.toISOString()}::timestamptz,
                 lease_owner = null, lease_until = null
            from unnest(${ids}::uuid[], ${errors}::text[]) as x(id, err)
           where hosts.id = x.id and (hosts.lease_owner is null or hosts.lease_owner = ${o.owner})`,
    );
  });
}
