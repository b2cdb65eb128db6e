// Console tickets: single-use, 30-second, bound to user, session and VM; stored hashed. The WebSocket
// URL carries the ticket (browsers cannot set headers on a WebSocket), so it must be worthless once used.
import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import { consoleTickets } from '../db/schema/auth.ts';
import type { AuthDeps } from './sessions.ts';
import { generateToken, hashToken } from './tokens.ts';
import { AuthError } from './errors.ts';

export const TICKET_TTL_MS = 30_000;

export async function issueConsoleTicket(deps: AuthDeps, b: { userId: string; sessionId: string; vmUuid: string }): Promise<{ ticket: string; expiresAt: Date }> {
  const ticket = generateToken();
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + TICKET_TTL_MS);
  await deps.db.delete(consoleTickets).where(lt(consoleTickets.expiresAt, now));
  await deps.db.insert(consoleTickets).values({ id: hashToken(ticket), userId: b.userId, sessionId: b.sessionId, vmUuid: b.vmUuid, expiresAt });
  return { ticket, expiresAt };
}

/** Burns the ticket; refuses if used, expired, or bound to another VM or session. */
export async function redeemConsoleTicket(deps: AuthDeps, ticket: string, b: { vmUuid: string; sessionId: string }): Promise<{ userId: string }> {
  const now = deps.clock.now();
  const [row] = await deps.db
    .update(consoleTickets)
    .set({ usedAt: now })
    .where(and(eq(consoleTickets.id, hashToken(ticket)), isNull(consoleTickets.usedAt), gt(consoleTickets.expiresAt, now)))
    .returning();
  if (!row) throw new AuthError('InvalidToken', 'console ticket is invalid, used or expired');
  if (row.vmUuid !== b.vmUuid || row.sessionId !== b.sessionId) throw new AuthError('InvalidToken', 'console ticket was issued for another VM or session');
  return { userId: row.userId };
}
