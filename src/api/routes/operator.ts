// Operator-only routes: hosts (list, add, remove) and tenants (list, suspend, unsuspend). Tenant callers get 403 before any
// lookup, so these answers say nothing about which hosts exist.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppContext } from '../../context.ts';
import { addHost, getHost, HostNotFound, listHosts, removeHost } from '../../hosts/registry.ts';
import { listTenants } from '../../billing/catalogue/tenants.ts';
import type { VmPowerResult } from '../../billing/dunning/vm-power.ts';
import { clientIp } from '../../portal/env.ts';
import { suspendTenantAtEdge, unsuspendTenantAtEdge } from '../../portal/actions/suspension.ts';
import { AuthError } from '../../auth/errors.ts';
import type { ApiEnv } from '../env.ts';
import { validationHook } from '../errors.ts';
import { assertOperatorCaller, assertWritable } from '../auth.ts';
import { jsonBody, problems } from '../responses.ts';
import { HostSchema, IdParam, NewHostSchema, SuspendTenantSchema, TenantSchema, TenantSuspendedSchema, TenantUnsuspendedSchema, UnsuspendTenantSchema } from '../schemas.ts';
import { hostJson, tenantJson } from '../views.ts';

const HostId = IdParam('host', '7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918');
const OPS = 'Operators only.';

const listHostsRoute = createRoute({
  method: 'get',
  path: '/hosts',
  tags: ['Operator'],
  summary: 'List hosts with their polling status',
  description: OPS,
  responses: { 200: jsonBody(z.object({ items: z.array(HostSchema) }), 'By name.'), ...problems(403) },
});

const addHostRoute = createRoute({
  method: 'post',
  path: '/hosts',
  tags: ['Operator'],
  summary: 'Add a host',
  description: `${OPS} Not with a read-only token. The collectors pick it up on their next cycle.`,
  request: { body: { required: true, content: { 'application/json': { schema: NewHostSchema } } } },
  responses: { 201: jsonBody(HostSchema, 'The new host.'), ...problems(400, 403, 409, 415) },
});

const removeHostRoute = createRoute({
  method: 'delete',
  path: '/hosts/{id}',
  tags: ['Operator'],
  summary: 'Remove a host',
  description: `${OPS} Not with a read-only token. Its VMs stay known (and billed history stays) but lose their host.`,
  request: { params: HostId },
  responses: { 204: { description: 'Removed.' }, ...problems(400, 403, 404) },
});

const listTenantsRoute = createRoute({
  method: 'get',
  path: '/tenants',
  tags: ['Operator'],
  summary: 'List tenants',
  description: OPS,
  responses: { 200: jsonBody(z.object({ items: z.array(TenantSchema) }), 'By company name.'), ...problems(403) },
});

const TenantId = IdParam('tenant', '3c2b1a09-8f7e-4d6c-9b5a-493827160504');

const suspendTenantRoute = createRoute({
  method: 'post',
  path: '/tenants/{id}/suspend',
  tags: ['Operator'],
  summary: 'Suspend a tenant',
  description: `${OPS} Not with a read-only token. The tenant's users can still sign in, read and pay invoices; their power actions and consoles are refused (403) and open consoles end now. Optionally shuts its VMs down. Audited as tenant.suspend.`,
  request: { params: TenantId, body: { required: true, content: { 'application/json': { schema: SuspendTenantSchema } } } },
  responses: { 200: jsonBody(TenantSuspendedSchema, 'Suspended.'), ...problems(400, 403, 404, 409, 415) },
});

const unsuspendTenantRoute = createRoute({
  method: 'post',
  path: '/tenants/{id}/unsuspend',
  tags: ['Operator'],
  summary: 'Lift a tenant suspension',
  description: `${OPS} Not with a read-only token. Starts the VMs the suspension shut down unless \`startVms\` is false. The body may be omitted. Audited as tenant.unsuspend.`,
  request: { params: TenantId, body: { required: false, content: { 'application/json': { schema: UnsuspendTenantSchema } } } },
  responses: { 200: jsonBody(TenantUnsuspendedSchema, 'Active again.'), ...problems(400, 403, 404, 409, 415) },
});

const powerOutcome = (r: VmPowerResult) => ({ done: r.done, failed: r.failed.map((f) => ({ id: f.uuid, error: f.error })) });

export function operatorRoutes(ctx: AppContext): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

  app.openapi(listHostsRoute, async (c) => {
    assertOperatorCaller(c.get('actor'));
    return c.json({ items: (await listHosts(ctx.db)).map(hostJson) }, 200);
  });

  app.openapi(addHostRoute, async (c) => {
    const actor = c.get('actor');
    assertOperatorCaller(actor);
    assertWritable(actor);
    const body = c.req.valid('json');
    const existing = await getHost(ctx.db, body.name).catch((err: unknown) => {
      if (err instanceof HostNotFound) return null;
      throw err;
    });
    if (existing) throw new AuthError('Conflict', `a host named ${body.name} already exists`);
    return c.json(hostJson(await addHost(ctx.db, body)), 201);
  });

  app.openapi(removeHostRoute, async (c) => {
    const actor = c.get('actor');
    assertOperatorCaller(actor);
    assertWritable(actor);
    const host = await removeHost(ctx.db, c.req.valid('param').id);
    await ctx.hosts.forget(host.id);
    ctx.log.info({ hostId: host.id, host: host.name, by: actor.label }, 'api: host removed');
    return c.body(null, 204);
  });

  app.openapi(listTenantsRoute, async (c) => {
    assertOperatorCaller(c.get('actor'));
    return c.json({ items: (await listTenants(ctx)).map(tenantJson) }, 200);
  });

  app.openapi(suspendTenantRoute, async (c) => {
    const actor = c.get('actor');
    assertOperatorCaller(actor);
    assertWritable(actor);
    const body = c.req.valid('json');
    const r = await suspendTenantAtEdge(ctx, { tenantId: c.req.valid('param').id, reason: body.reason, stopVms: body.stopVms, by: { userId: actor.userId, label: actor.label, ip: clientIp(c) } });
    return c.json({ tenant: tenantJson(r.tenant), consolesClosed: r.consolesClosed, vms: powerOutcome(r.vms) }, 200);
  });

  app.openapi(unsuspendTenantRoute, async (c) => {
    const actor = c.get('actor');
    assertOperatorCaller(actor);
    assertWritable(actor);
    const body = (c.req.valid('json') as { startVms?: boolean } | undefined) ?? {};
    const r = await unsuspendTenantAtEdge(ctx, { tenantId: c.req.valid('param').id, startVms: body.startVms ?? true, by: { userId: actor.userId, label: actor.label, ip: clientIp(c) } });
    return c.json({ tenant: tenantJson(r.tenant), vms: powerOutcome(r.vms) }, 200);
  });
  return app;
}
