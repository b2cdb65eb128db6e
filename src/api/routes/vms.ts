// /api/v1/vms: list, detail, power actions and usage series. Tenant checks, token limits and the audit trail
// come from the same functions the portal uses (listVmsForActor, getVmForActor, powerVm).
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { TypedResponse } from 'hono';
import type { AppContext } from '../../context.ts';
import { listVmsForActor, getVmForActor, type VmView } from '../../portal/queries/vms.ts';
import { liveStates } from '../../portal/queries/live-state.ts';
import { powerVm, POWER_ACTIONS, POWER_LABEL } from '../../portal/actions/power.ts';
import { clientIp } from '../../portal/env.ts';
import { usageSeries } from '../../collectors/usage-series.ts';
import { isOperator } from '../../auth/actor.ts';
import { METERS } from '../../db/schema/usage.ts';
import type { ApiEnv } from '../env.ts';
import { validationHook } from '../errors.ts';
import { jsonBody, problems } from '../responses.ts';
import { IdParam, PowerResultSchema, UsageQuery, UsageSchema, VM_EXAMPLE, VmDetailSchema, VmListItemSchema } from '../schemas.ts';
import { resolveRange } from '../usage-range.ts';
import { vmJson, vmListItemJson } from '../views.ts';
import { acceptsGzip, CachedBody } from '../cached-body.ts';

const VmId = IdParam('VM', VM_EXAMPLE);
const tags = ['VMs'];

const listRoute = createRoute({
  method: 'get',
  path: '/vms',
  tags,
  summary: 'List the VMs you may see',
  description: "A tenant's VMs currently assigned to it (a VM-limited token: that VM only); operators see every VM. Each item is a summary: GET /vms/{id} adds the host and plan ids, the assignment start and the live state. Sent gzip-compressed to clients that accept it (Accept-Encoding: gzip).",
  responses: { 200: jsonBody(z.object({ items: z.array(VmListItemSchema) }), 'The VMs, by name.'), ...problems() },
});

const getRoute = createRoute({
  method: 'get',
  path: '/vms/{id}',
  tags,
  summary: 'One VM, with its state asked of the host just now',
  request: { params: VmId },
  responses: { 200: jsonBody(VmDetailSchema, 'The VM.'), ...problems(400, 404) },
});

const usageRoute = createRoute({
  method: 'get',
  path: '/vms/{id}/usage',
  tags,
  summary: "A VM's usage over a range, in bins",
  description: 'Read from the usage buckets (coarsest table that covers each part of the range). Values are raw meter units as exact decimal strings.',
  request: { params: VmId, query: UsageQuery },
  responses: { 200: jsonBody(UsageSchema, 'The usage series.'), ...problems(400, 404) },
});

const DESCRIBE: Record<string, string> = {
  start: 'Boots the VM from its configuration (`xl create`).',
  shutdown: 'Asks the guest to shut down cleanly (`xl shutdown`).',
  reboot: 'Asks the guest to reboot (`xl reboot`).',
  destroy: 'Switches the VM off at once, like pulling the plug (`xl destroy`).',
};

const powerRoute = (action: (typeof POWER_ACTIONS)[number]) =>
  createRoute({
    method: 'post',
    path: `/vms/{id}/${action}`,
    tags,
    summary: `${POWER_LABEL[action]} a VM`,
    description: `${DESCRIBE[action]} Needs a token that is not read-only. Audited as vm.${action}, allowed or not.`,
    request: { params: VmId },
    responses: { 200: jsonBody(PowerResultSchema, 'The host accepted the action.'), ...problems(400, 403, 404, 409, 502, 503) },
  });

/**
 * The list body, serialised once per cached list (listVmsForActor shares one array per tenant for a second):
 * a client polling the list then costs a lookup instead of 50 objects built and stringified per request.
 */
const listBodies = new WeakMap<readonly VmView[], CachedBody>();
function listBody(list: readonly VmView[]): CachedBody {
  let body = listBodies.get(list);
  if (body === undefined) listBodies.set(list, (body = new CachedBody(new TextEncoder().encode(JSON.stringify({ items: list.map(vmListItemJson) })))));
  return body;
}
const JSON_HEADERS = { 'content-type': 'application/json', vary: 'accept-encoding' };
const GZIP_JSON_HEADERS = { ...JSON_HEADERS, 'content-encoding': 'gzip' };
type TypedListResponse = TypedResponse<{ items: ReturnType<typeof vmListItemJson>[] }, 200, 'json'>;

export function vmRoutes(ctx: AppContext): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

  app.openapi(listRoute, async (c) => {
    const body = listBody(await listVmsForActor(ctx, c.get('actor')));
    const gz = acceptsGzip(c.req.header('accept-encoding')) ? body.gzipped() : null;
    // The JSON c.json would send, in a Response of its own: c.body() would copy the headers into a Fetch Headers
    // object that node-server then turns back into a record. The cast keeps the route's typed response.
    return new Response(gz ?? body.raw, { status: 200, headers: gz ? GZIP_JSON_HEADERS : JSON_HEADERS }) as unknown as TypedListResponse;
  });

  app.openapi(getRoute, async (c) => {
    const vm = await getVmForActor(ctx, c.get('actor'), c.req.valid('param').id);
    const live = (await liveStates(ctx, [vm])).get(vm.uuid) ?? { state: vm.state, live: false };
    return c.json({ ...vmJson(vm), live }, 200);
  });

  app.openapi(usageRoute, async (c) => {
    const actor = c.get('actor');
    const { meter, range } = c.req.valid('query');
    const vm = await getVmForActor(ctx, actor, c.req.valid('param').id);
    const { from, to, bin } = await resolveRange(ctx, range, vm.tenantId);
    const series = await usageSeries(ctx.db, { vmUuid: vm.uuid, from, to, bin, hostId: vm.hostId });
    const meters = meter ? [meter] : [...METERS];
    // Poll errors can name host addresses: operators get them, tenants only the time of the gap.
    const showErrors = isOperator(actor);
    return c.json(
      {
        vmId: vm.uuid,
        range,
        from: from.toISOString(),
        to: to.toISOString(),
        bin,
        binSeconds: series.binSeconds,
        meters,
        points: series.points.map((p) => ({ t: p.t.toISOString(), values: Object.fromEntries(meters.map((m) => [m, p.values[m]])) })),
        gaps: series.gaps.map((g) => (showErrors ? { at: g.at.toISOString(), error: g.error } : { at: g.at.toISOString() })),
      },
      200,
    );
  });

  for (const action of POWER_ACTIONS) {
    app.openapi(powerRoute(action), async (c) => {
      const vm = await powerVm(ctx, c.get('actor'), c.req.valid('param').id, action, clientIp(c));
      return c.json({ vm: vmJson(vm), action, result: 'ok' as const, at: ctx.clock.now().toISOString() }, 200);
    });
  }
  return app;
}
