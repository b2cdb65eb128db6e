// /api/v1/tokens: the caller's API tokens. Only for people signed in to the portal (session cookie + CSRF):
// a token that could mint tokens could outlive its own revocation, so API tokens get 403 here.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppContext } from '../../context.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../../auth/api-tokens.ts';
import { getVmForActor } from '../../portal/queries/vms.ts';
import { clientIp } from '../../portal/env.ts';
import type { ApiEnv } from '../env.ts';
import { validationHook } from '../errors.ts';
import { assertSessionCaller, type TokenCache } from '../auth.ts';
import { jsonBody, problems } from '../responses.ts';
import { CreatedTokenSchema, IdParam, NewTokenSchema, TokenSchema } from '../schemas.ts';
import { tokenJson } from '../views.ts';

const TokenId = IdParam('token', '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d');
const tags = ['API tokens'];
const SESSION_ONLY = 'Session callers only (the portal, with X-CSRF-Token on changes); API tokens get 403.';

const listRoute = createRoute({
  method: 'get',
  path: '/tokens',
  tags,
  summary: "List your tenant's API tokens",
  description: `${SESSION_ONLY} Operators see their own operator tokens. The secret is never shown again.`,
  responses: { 200: jsonBody(z.object({ items: z.array(TokenSchema) }), 'Newest first, revoked ones included.'), ...problems(403) },
});

const createTokenRoute = createRoute({
  method: 'post',
  path: '/tokens',
  tags,
  summary: 'Create an API token',
  description: `${SESSION_ONLY} Owners and operators only. Optionally read-only and limited to one VM you may see.`,
  request: { body: { required: true, content: { 'application/json': { schema: NewTokenSchema } } } },
  responses: { 201: jsonBody(CreatedTokenSchema, 'The token; `token` is the secret, shown this once.'), ...problems(400, 403, 404, 415) },
});

const revokeRoute = createRoute({
  method: 'delete',
  path: '/tokens/{id}',
  tags,
  summary: 'Revoke an API token',
  description: `${SESSION_ONLY} Owners of the token's tenant and operators. Revoking twice is not an error.`,
  request: { params: TokenId },
  responses: { 204: { description: 'Revoked.' }, ...problems(400, 403, 404) },
});

export function tokenRoutes(ctx: AppContext, cache: TokenCache): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

  app.openapi(listRoute, async (c) => {
    const actor = c.get('actor');
    assertSessionCaller(actor);
    return c.json({ items: (await listApiTokens(ctx, actor)).map(tokenJson) }, 200);
  });

  app.openapi(createTokenRoute, async (c) => {
    const actor = c.get('actor');
    assertSessionCaller(actor);
    const body = c.req.valid('json');
    // Limiting to a VM the caller cannot see would leak that it exists: the same 404 as for any VM.
    const vm = body.vmId ? await getVmForActor(ctx, actor, body.vmId) : null;
    const { token, record } = await createApiToken(ctx, actor, { name: body.name, vmUuid: vm?.uuid ?? null, readOnly: body.readOnly }, clientIp(c));
    return c.json({ ...tokenJson(record), token }, 201);
  });

  app.openapi(revokeRoute, async (c) => {
    const actor = c.get('actor');
    assertSessionCaller(actor);
    const id = c.req.valid('param').id;
    await revokeApiToken(ctx, actor, id, clientIp(c));
    cache.dropToken(id);
    return c.body(null, 204);
  });
  return app;
}
