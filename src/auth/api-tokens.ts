// API bearer tokens: created by a tenant owner (or operator), shown once, stored as SHA-256,
// optionally read-only and limited to one VM. The caller checks VM access before limiting to a VM.
import { and, desc, eq, isNull } from 'drizzle-orm';
import { apiTokens, users } from '../db/schema/auth.ts';
import type { AuthDeps } from './sessions.ts';
import { generateToken, hashToken } from './tokens.ts';
import { assertOwner, type Actor } from './actor.ts';
import { audit } from './audit.ts';
import { AuthError } from './errors.ts';

export type ApiTokenRecord = typeof apiTokens.$inferSelect;
export const TOKEN_PREFIX = 'kb_';

export interface CreateTokenInput {
  name: string;
  vmUuid?: string | null;
  readOnly?: boolean;
}

export async function createApiToken(
  deps: AuthDeps,
  actor: Actor,
  input: CreateTokenInput,
  ip: string | null = null,
): Promise<{ token: string; record: ApiTokenRecord }> {
  if (actor.via === 'token') throw new AuthError('Forbidden', 'API tokens cannot create API tokens; sign in to the portal');
  assertOwner(actor, actor.tenantId);
  const name = input.name.trim();
  if (!name || name.length > 100) throw new AuthError('Validation', 'token name must be 1–100 characters');
  const token = TOKEN_PREFIX + generateToken();
  const [record] = await deps.db
    .insert(apiTokens)
    .values({
      tokenHash: hashToken(token),
      prefix: token.slice(0, 9),
      name,
      userId: actor.userId,
      tenantId: actor.tenantId,
      vmUuid: input.vmUuid ?? null,
      readOnly: input.readOnly ?? false,
      createdAt: deps.clock.now(),
    })
    .returning();
  await audit(deps, {
    action: 'token.create',
    result: 'ok',
    actorUserId: actor.userId,
    actorLabel: actor.label,
    tenantId: actor.tenantId,
    target: record.id,
    ip,
    detail: { name, vmUuid: record.vmUuid, readOnly: record.readOnly },
  });
  return { token, record };
}

/** The tenant's tokens (operators: their own operator tokens). Never includes the hash. */
export async function listApiTokens(deps: AuthDeps, actor: Actor): Promise<Omit<ApiTokenRecord, 'tokenHash'>[]> {
  const where = actor.tenantId ? eq(apiTokens.tenantId, actor.tenantId) : and(isNull(apiTokens.tenantId), eq(apiTokens.userId, actor.userId));
  const list = await deps.db.select().from(apiTokens).where(where).orderBy(desc(apiTokens.createdAt));
  return list.map(({ tokenHash: _h, ...rest }) => rest);
}

export async function revokeApiToken(deps: AuthDeps, actor: Actor, tokenId: string, ip: string | null = null): Promise<void> {
  if (!/^[0-9a-f-]{36}$/i.test(tokenId)) throw new AuthError('NotFound', 'token not found');
  const [row] = await deps.db.select().from(apiTokens).where(eq(apiTokens.id, tokenId));
  if (!row) throw new AuthError('NotFound', 'token not found');
  if (row.tenantId) assertOwner(actor, row.tenantId);
  else if (row.userId !== actor.userId) throw new AuthError('NotFound', 'token not found');
  if (actor.readOnly) throw new AuthError('Forbidden', 'this API token is read-only');
  await deps.db.update(apiTokens).set({ revokedAt: deps.clock.now() }).where(and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)));
  await audit(deps, { action: 'token.revoke', result: 'ok', actorUserId: actor.userId, actorLabel: actor.label, tenantId: row.tenantId, target: tokenId, ip });
}

/** Bearer token → Actor; null when unknown, revoked, or its user is suspended. */
export async function authenticateApiToken(deps: AuthDeps, bearer: string): Promise<Actor | null> {
  if (!bearer.startsWith(TOKEN_PREFIX) || bearer.length > 64) return null;
  const [row] = await deps.db
    .select({ t: apiTokens, u: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, hashToken(bearer)));
  if (!row || row.t.revokedAt || row.u.suspendedAt) return null;
  const now = deps.clock.now();
  if (!row.t.lastUsedAt || now.getTime() - row.t.lastUsedAt.getTime() > 60_000) {
    await deps.db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.t.id));
  }
  return {
    userId: row.u.id,
    role: row.u.role,
    tenantId: row.t.tenantId,
    label: `token ${row.t.name} (${row.t.prefix}…)`,
    via: 'token',
    readOnly: row.t.readOnly,
    vmUuid: row.t.vmUuid,
    tokenId: row.t.id,
  };
}
