// One console holder per VM across every replica: a console_sessions row per held VM (the primary key is
// the lock), refreshed by a heartbeat while the session lives. A row whose heartbeat went stale belongs to
// a process that died and may be taken over. A table row rather than an advisory lock because PGlite has a
// single connection (every "replica" would share its session-level locks) and because a row can be removed
// by someone else: suspending a tenant deletes its rows, and each holder learns at once (same process) or
// at its next heartbeat (other replicas).
import { and, eq, inArray, sql } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { rows, type Db } from '../db/client.ts';
import { consoleSessions } from '../db/schema/auth.ts';
import type { AuthDeps } from './sessions.ts';

export const HOLD_HEARTBEAT_MS = 10_000;
/** Several missed heartbeats: long enough for a slow database, short enough after a crash. */
export const HOLD_STALE_MS = 45_000;

/** Why a held console must end: its row was deleted here (tenant suspended) or found gone at a heartbeat. */
export type HoldLoss = 'revoked' | 'lost';

export interface HoldRequest {
  vmUuid: string;
  userId: string;
  /** The holder's tenant; null for operators (who are not refused for a suspended tenant). */
  tenantId: string | null;
}

export interface ConsoleHold {
  readonly holder: string;
  release(): Promise<void>;
}

export type AcquireResult = { status: 'acquired'; hold: ConsoleHold } | { status: 'busy' } | { status: 'suspended' };

interface LocalHold {
  deps: AuthDeps;
  vmUuid: string;
  holder: string;
  onLost: (why: HoldLoss) => void;
}

/** Holds of this process, by holder id; the heartbeat refreshes them and notices the ones that are gone. */
const local = new Map<string, LocalHold>();
/** Releases still in flight per VM: a reconnect from this process waits for them instead of finding the VM busy. */
const releasing = new Map<string, Promise<void>>();
let timer: NodeJS.Timeout | null = null;

export async function acquireConsoleHold(deps: AuthDeps, req: HoldRequest, onLost: (why: HoldLoss) => void): Promise<AcquireResult> {
  await releasing.get(req.vmUuid);
  const holder = randomUUID();
  const now = deps.clock.now();
  const stale = new Date(now.getTime() - HOLD_STALE_MS);
  // The suspension check sits in the same statement, so a suspension committed before it cannot be missed.
  const got = await rows<{ holder: string }>(
    deps.db,
    sql`insert into console_sessions (vm_uuid, holder, user_id, tenant_id, opened_at, heartbeat_at)
        select ${req.vmUuid}::uuid, ${holder}, ${req.userId}::uuid, ${req.tenantId}::uuid, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
        where not exists (select 1 from tenants t where t.id = ${req.tenantId}::uuid and t.status = 'suspended')
        on conflict (vm_uuid) do update
          set holder = excluded.holder, user_id = excluded.user_id, tenant_id = excluded.tenant_id,
              opened_at = excluded.opened_at, heartbeat_at = excluded.heartbeat_at
          where console_sessions.heartbeat_at < ${stale.toISOString()}::timestamptz
        returning holder`,
  );
  if (got[0]?.holder !== holder) {
    if (req.tenantId) {
      const [t] = await rows<{ suspended: boolean }>(deps.db, sql`select status = 'suspended' as suspended from tenants where id = ${req.tenantId}::uuid`);
      if (t?.suspended) return { status: 'suspended' };
    }
    return { status: 'busy' };
  }
  local.set(holder, { deps, vmUuid: req.vmUuid, holder, onLost });
  timer ??= setInterval(() => void heartbeatConsoleHolds(), HOLD_HEARTBEAT_MS).unref();
  return { status: 'acquired', hold: { holder, release: () => release(deps, req.vmUuid, holder) } };
}

function release(deps: AuthDeps, vmUuid: string, holder: string): Promise<void> {
  if (!local.delete(holder)) return releasing.get(vmUuid) ?? Promise.resolve();
  stopTimerIfIdle();
  const p = deps.db
    .delete(consoleSessions)
    .where(and(eq(consoleSessions.vmUuid, vmUuid), eq(consoleSessions.holder, holder)))
    .then(
      () => undefined,
      // A row left behind goes stale and is taken over: a failed delete costs a wait, never a wrong holder.
      () => undefined,
    )
    .finally(() => {
      if (releasing.get(vmUuid) === p) releasing.delete(vmUuid);
    });
  releasing.set(vmUuid, p);
  return p;
}

function stopTimerIfIdle(): void {
  if (local.size === 0 && timer) {
    clearInterval(timer);
    timer = null;
  }
}

function lose(h: LocalHold, why: HoldLoss): void {
  if (!local.delete(h.holder)) return;
  stopTimerIfIdle();
  h.onLost(why);
}

/** One heartbeat round for every hold of this process (the timer runs it; tests call it directly). */
export async function heartbeatConsoleHolds(): Promise<void> {
  const byDb = new Map<Db, LocalHold[]>();
  for (const h of local.values()) byDb.set(h.deps.db, [...(byDb.get(h.deps.db) ?? []), h]);
  for (const [db, holds] of byDb) {
    const now = holds[0].deps.clock.now();
    let alive: Set<string>;
    try {
      const kept = await db
        .update(consoleSessions)
        .set({ heartbeatAt: now })
        .where(inArray(consoleSessions.holder, holds.map((h) => h.holder)))
        .returning({ holder: consoleSessions.holder });
      alive = new Set(kept.map((k) => k.holder));
    } catch {
      // Database unreachable: keep the sessions; if it stays away the rows go stale and may be taken over.
      continue;
    }
    for (const h of holds) if (!alive.has(h.holder) && local.get(h.holder) === h) lose(h, 'lost');
  }
}

/** Ends every console held by a tenant's users: rows go now, sessions here close now, elsewhere at their next heartbeat. */
export async function revokeTenantConsoleHolds(deps: AuthDeps, tenantId: string): Promise<number> {
  const gone = await deps.db.delete(consoleSessions).where(eq(consoleSessions.tenantId, tenantId)).returning({ holder: consoleSessions.holder });
  for (const { holder } of gone) {
    const h = local.get(holder);
    if (h) lose(h, 'revoked');
  }
  return gone.length;
}
