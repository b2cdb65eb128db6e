// Typed Hono variables shared by portal and API middleware and handlers.
import type { Context } from 'hono';
import type { Actor } from '../auth/actor.ts';
import type { SessionRecord, UserRecord } from '../auth/sessions.ts';

export interface SessionAuth {
  user: UserRecord;
  session: SessionRecord;
  actor: Actor;
  /** The user's tenant is suspended: why and since when (the layout shows a banner). */
  suspension?: { reason: string; since: Date } | null;
}

export interface PortalEnv {
  Variables: {
    /** null when no valid session cookie was presented. */
    auth: SessionAuth | null;
    /** A session that gave the password but still owes its TOTP code. */
    pending: SessionAuth | null;
    /** The CSRF token to embed in forms on this response (session-bound, or the pre-session cookie). */
    csrf: string;
  };
}

export type PortalContext = Context<PortalEnv>;

/** The peer address as node-server reports it; tests pass `{ incoming: { socket: { remoteAddress } } }` as env. */
export { clientIp } from './client-ip.ts';

export function actorFromSession(user: UserRecord): Actor {
  return {
    userId: user.id,
    role: user.role,
    tenantId: user.tenantId,
    label: user.email,
    via: 'session',
    readOnly: false,
    vmUuid: null,
  };
}
