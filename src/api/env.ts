// Typed Hono variables of the JSON API: who is calling (set by the auth middleware).
// src/api/** is owned by the API helper (issue #4 part 4); the portal reads it, it does not write it.
import type { Actor } from '../auth/actor.ts';

export interface ApiEnv {
  Variables: {
    /** Set by apiAuth on every /api/v1 route; absent only on the public document and docs routes. */
    actor: Actor;
  };
}
