// User verbs: create (operators, invite acceptance), look up, list per tenant, suspend.
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { users, type UserRole } from '../db/schema/auth.ts';
import { hashPassword } from './passwords.ts';
import { AuthError } from './errors.ts';
import type { UserRecord } from './sessions.ts';
import { invalidateUserSessions, type AuthDeps } from './sessions.ts';
import { assertOwner, type Actor } from './actor.ts';

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();
const EMAIL_RE = /^[^\s@<>"']{1,64}@[^\s@<>"']{1,255}$/;

export function checkEmail(email: string): string {
  const e = normalizeEmail(email);
  if (!EMAIL_RE.test(e)) throw new AuthError('Validation', `not an email address: ${JSON.stringify(email).slice(0, 80)}`);
  return e;
}

export interface CreateUserInput {
  email: string;
  password: string;
  role: UserRole;
  tenantId?: string | null;
  name?: string;
}

export async function createUser(db: Db, input: CreateUserInput): Promise<UserRecord> {
  const email = checkEmail(input.email);
  if ((input.role === 'operator') !== !input.tenantId) {
    throw new AuthError('Validation', 'operators have no tenant; owners and members need one');
  }
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
  if (existing) throw new AuthError('Conflict', `a user with email ${email} already exists`);
  const [row] = await db
    .insert(users)
    .values({
      email,
      name: (input.name ?? '').slice(0, 200),
      role: input.role,
      tenantId: input.tenantId ?? null,
      passwordHash: await hashPassword(input.password),
    })
    .returning();
  return row;
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRecord | undefined> {
  const [row] = await db.select().from(users).where(eq(users.email, normalizeEmail(email)));
  return row;
}

export async function getUser(db: Db, id: string): Promise<UserRecord> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new AuthError('NotFound', 'user not found');
  const [row] = await db.select().from(users).where(eq(users.id, id));
  if (!row) throw new AuthError('NotFound', 'user not found');
  return row;
}

/** `tenantId` null = operators. */
export async function listUsers(db: Db, tenantId: string | null): Promise<UserRecord[]> {
  return db
    .select()
    .from(users)
    .where(tenantId ? eq(users.tenantId, tenantId) : isNull(users.tenantId))
    .orderBy(asc(users.email));
}

export async function listAllUsers(db: Db): Promise<UserRecord[]> {
  return db.select().from(users).orderBy(asc(users.email));
}

/** Suspending ends every session of the user at once. */
export async function setUserSuspended(deps: AuthDeps, actor: Actor, userId: string, suspended: boolean): Promise<UserRecord> {
  const user = await getUser(deps.db, userId);
  assertOwner(actor, user.tenantId);
  if (user.id === actor.userId) throw new AuthError('Forbidden', 'you cannot suspend yourself');
  const [row] = await deps.db
    .update(users)
    .set({ suspendedAt: suspended ? deps.clock.now() : null })
    .where(and(eq(users.id, userId)))
    .returning();
  if (suspended) await invalidateUserSessions(deps, userId);
  return row;
}

export async function setPassword(deps: AuthDeps, userId: string, password: string): Promise<void> {
  await deps.db.update(users).set({ passwordHash: await hashPassword(password) }).where(eq(users.id, userId));
  await invalidateUserSessions(deps, userId);
}
