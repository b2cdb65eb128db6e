// Invitations by link: an operator (or a tenant owner, for their tenant) invites an email; the single-use,
// expiring token is stored hashed; the invitee sets a password and becomes a user.
import { and, eq, gt, isNull } from 'drizzle-orm';
import { invites, type UserRole } from '../db/schema/auth.ts';
import type { AuthDeps, UserRecord } from './sessions.ts';
import { generateToken, hashToken } from './tokens.ts';
import { checkEmail, createUser } from './users.ts';
import { assertOwner, type Actor } from './actor.ts';
import { audit } from './audit.ts';
import { AuthError } from './errors.ts';
import { inTransaction } from '../db/client.ts';

export const INVITE_TTL_MS = 7 * 24 * 3600 * 1000;

export interface InviteInput {
  email: string;
  role: UserRole;
  tenantId: string | null;
}

/** Returns the token for the link (`/invite/<token>`); it is not stored. */
export async function createInvite(deps: AuthDeps, actor: Actor, input: InviteInput, ip: string | null = null): Promise<{ token: string; expiresAt: Date }> {
  const email = checkEmail(input.email);
  if (input.role === 'operator') {
    if (actor.role !== 'operator') throw new AuthError('Forbidden', 'only operators can invite operators');
    if (input.tenantId) throw new AuthError('Validation', 'operators have no tenant');
  } else {
    if (!input.tenantId) throw new AuthError('Validation', 'choose the tenant this user belongs to');
    assertOwner(actor, input.tenantId);
  }
  const token = generateToken();
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + INVITE_TTL_MS);
  await deps.db.insert(invites).values({
    id: hashToken(token),
    email,
    role: input.role,
    tenantId: input.tenantId,
    createdBy: actor.userId,
    createdAt: now,
    expiresAt,
  });
  await audit(deps, { action: 'invite.create', result: 'ok', actorUserId: actor.userId, actorLabel: actor.label, tenantId: input.tenantId, target: email, ip });
  return { token, expiresAt };
}

/** What the invite page shows before the invitee sets a password; null when unusable. */
export async function peekInvite(deps: AuthDeps, token: string): Promise<{ email: string; role: UserRole } | null> {
  const [row] = await deps.db
    .select()
    .from(invites)
    .where(and(eq(invites.id, hashToken(token)), isNull(invites.usedAt), gt(invites.expiresAt, deps.clock.now())));
  return row ? { email: row.email, role: row.role } : null;
}

export async function acceptInvite(
  deps: AuthDeps,
  token: string,
  input: { password: string; name?: string },
  ip: string | null = null,
): Promise<UserRecord> {
  return inTransaction(deps.db, async (tx) => {
    // Claim the invite first: the conditional update makes it single-use even under concurrent accepts.
    const [inv] = await tx
      .update(invites)
      .set({ usedAt: deps.clock.now() })
      .where(and(eq(invites.id, hashToken(token)), isNull(invites.usedAt), gt(invites.expiresAt, deps.clock.now())))
      .returning();
    if (!inv) throw new AuthError('InvalidToken', 'This invitation link is invalid, was already used, or has expired. Ask for a new one.');
    const user = await createUser(tx, { email: inv.email, password: input.password, role: inv.role, tenantId: inv.tenantId, name: input.name });
    await audit({ db: tx, clock: deps.clock }, { action: 'invite.accept', result: 'ok', actorUserId: user.id, actorLabel: user.email, tenantId: user.tenantId, ip });
    return user;
  });
}
