// Host leases: collectors share a fleet by leasing due hosts in Postgres (FOR UPDATE SKIP LOCKED), so
// several processes never poll the same host at once. Times come from the injected clock.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { hosts } from '../db/schema/hosts.ts';
import type { HostRecord } from '../hosts/registry.ts';

/** This process's lease owner id (host name, pid and a random tag so a restarted pid is a new owner). */
export const PROCESS_COLLECTOR_ID = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

export interface LeaseOptions {
  owner: string;
  now: Date;
  leaseSeconds: number;
  limit: number;
}

/**
 * Leases up to `limit` enabled hosts that are due (next_poll_at <= now) and not leased by a live lease.
 * Rows another collector is leasing this very moment are skipped, not waited for.
 */
export async function leaseDueHosts(db: Db, o: LeaseOptions): Promise<HostRecord[]> {
  const now = o.now.toISOString();
  const until = new Date(o.now.getTime() + o.leaseSeconds * 1000).toISOString();
  return db
    .update(hosts)
    .set({ leaseOwner: o.owner, leaseUntil: sql`${until}::timestamptz` })
    .where(
      sql`${hosts.id} in (select id from hosts
                           where enabled and next_poll_at <= ${now}::timestamptz
                             and (lease_until is null or lease_until < ${now}::timestamptz)
                           order by next_poll_at, id limit ${o.limit} for update skip locked)`,
    )
    .returning();
}

/** Give leases back without polling (shutdown, or a cycle that could not start). */
export async function releaseLeases(db: Db, owner: string, hostIds: string[]): Promise<void> {
  if (hostIds.length === 0) return;
  await db
    .update(hosts)
    .set({ leaseOwner: null, leaseUntil: null })
    .where(sql`${hosts.leaseOwner} = ${owner} and ${hosts.id} = any(${`{${hostIds.join(',')}}`}::uuid[])`);
}
