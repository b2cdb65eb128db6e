// The audit trail: one append per security-relevant event (logins, power actions, consoles, tokens, saved
// payment methods and autopay).
import { and, desc, eq, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import type { Clock } from '../clock.ts';
import { auditLog } from '../db/schema/auth.ts';

export type AuditAction =
  | 'login'
  | 'login.totp'
  | 'logout'
  | 'password.reset'
  | 'password.reset_request'
  | 'password.reset_mail'
  | 'invite.create'
  | 'invite.accept'
  | 'totp.enable'
  | 'session.revoke'
  | 'user.suspend'
  | 'user.unsuspend'
  | 'tenant.suspend'
  | 'tenant.unsuspend'
  | 'vm.start'
  | 'vm.shutdown'
  | 'vm.reboot'
  | 'vm.destroy'
  | 'console.open'
  | 'console.close'
  | 'token.create'
  | 'token.revoke'
  | 'payment_method.setup'
  | 'payment_method.save'
  | 'payment_method.remove'
  | 'autopay.enable'
  | 'autopay.disable';

export interface AuditEntry {
  action: AuditAction;
  result: 'ok' | 'denied' | 'failed' | 'throttled';
  actorUserId?: string | null;
  actorLabel?: string | null;
  tenantId?: string | null;
  target?: string | null;
  ip?: string | null;
  detail?: Record<string, unknown>;
}

export type AuditRecord = typeof auditLog.$inferSelect;

export async function audit(deps: { db: Db; clock: Clock }, e: AuditEntry): Promise<void> {
  await deps.db.insert(auditLog).values({
    at: deps.clock.now(),
    action: e.action,
    result: e.result,
    actorUserId: e.actorUserId ?? null,
    actorLabel: e.actorLabel ?? null,
    tenantId: e.tenantId ?? null,
    target: e.target ?? null,
    ip: e.ip ?? null,
    detail: e.detail ?? null,
  });
}

/** Newest first; `tenantId` undefined = all tenants (operators). */
export async function listAudit(db: Db, opts: { tenantId?: string; action?: string; limit?: number } = {}): Promise<AuditRecord[]> {
  const conds: SQL[] = [];
  if (opts.tenantId) conds.push(eq(auditLog.tenantId, opts.tenantId));
  if (opts.action) conds.push(eq(auditLog.action, opts.action));
  return db
    .select()
    .from(auditLog)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(Math.min(opts.limit ?? 200, 1000));
}
