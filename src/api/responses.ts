// Shorthands for route definitions: JSON bodies and the problem+json answers a route can give.
import type { z } from '@hono/zod-openapi';
import { PROBLEM_TYPE, PROBLEMS, type ProblemSlug } from './errors.ts';
import { ProblemSchema } from './schemas.ts';

export const jsonBody = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 415 | 502 | 503;
const SLUG_OF: Record<ProblemStatus, ProblemSlug> = {
  400: 'invalid-request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  415: 'unsupported-media-type',
  502: 'bad-gateway',
  503: 'host-unavailable',
};

/** Every /api/v1 route can answer 401 and 500; list the other problem statuses it can give. */
export function problems(...statuses: ProblemStatus[]) {
  const out: Record<string, { description: string; content: Record<string, { schema: typeof ProblemSchema }> }> = {};
  for (const s of [...statuses, 401 as const].sort()) {
    out[String(s)] = { description: PROBLEMS[SLUG_OF[s]].about, content: { [PROBLEM_TYPE]: { schema: ProblemSchema } } };
  }
  out['500'] = { description: PROBLEMS.internal.about, content: { [PROBLEM_TYPE]: { schema: ProblemSchema } } };
  return out;
}
