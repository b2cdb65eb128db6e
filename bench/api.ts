// API benchmark: GET /api/v1/vms for a tenant with 50 VMs through the real HTTP server (startServer on
// 127.0.0.1, PostgreSQL, bearer token), beside a Hono hello-world served by node-server in the same process,
// both driven by autocannon in the same run. Goal: the VM list at ≥ 50% of hello-world requests/s.
import autocannon from 'autocannon';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { systemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import type { AppContext } from '../src/context.ts';
import { createProviderRegistry } from '../src/billing/payments/select.ts';
import { rows, sql } from '../src/db/client.ts';
import { silentLogger } from '../src/log.ts';
import { createAdapterProvider } from '../src/hosts/provider.ts';
import { addHost } from '../src/hosts/registry.ts';
import { createSimFleet } from '../src/hosts/sim/fleet.ts';
import { runPollCycle } from '../src/collectors/poll.ts';
import { createTenant } from '../src/billing/catalogue/tenants.ts';
import { createPlan } from '../src/billing/catalogue/plans.ts';
import { assignVm } from '../src/billing/catalogue/assign-vm.ts';
import { createUser } from '../src/auth/users.ts';
import { createApiToken } from '../src/auth/api-tokens.ts';
import { actorFromSession } from '../src/portal/env.ts';
import { startServer } from '../src/portal/server.ts';
import { createBenchDatabase, fmt, progress, report } from './support.ts';

interface Measured {
  rps: number;
  p99: number;
  non2xx: number;
}

/** One GET on a fresh connection (no keep-alive socket left for the server's close to reset). */
function getJson(url: string, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
      })
      .on('error', reject);
  });
}

async function measure(url: string, headers: Record<string, string>, seconds: number, connections: number): Promise<Measured> {
  // A short warm-up first (JIT, connection pools), not counted.
  await autocannon({ url, headers, connections, duration: 1 });
  const r = await autocannon({ url, headers, connections, duration: seconds });
  // Let autocannon tear its sockets down before anyone closes the server (a reset one surfaces as ECONNRESET).
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx + r.errors };
}

export async function benchApi(opts: { vms?: number; seconds?: number; connections?: number } = {}): Promise<void> {
  const vmCount = opts.vms ?? 50;
  const seconds = opts.seconds ?? Number(process.env.BENCH_API_SECONDS ?? 10);
  const connections = opts.connections ?? 50;
  const b = await createBenchDatabase('api');
  const hello = new Hono().get('/hello', (c) => c.text('Hello, world!'));
  let helloServer: ReturnType<typeof serve> | undefined;
  let apiServer: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    progress(`api: a tenant with ${vmCount} VMs on a simulated fleet`);
    const clock = systemClock;
    const start = new Date(clock.now().getTime() - 3600_000);
    const fleet = createSimFleet({ seed: 11, start, hosts: 5, vmsPerHost: Math.ceil(vmCount / 5), events: {} });
    const config = { ...loadConfig({}), databaseUrl: b.url };
    const ctx: AppContext = { db: b.database.db, clock, log: silentLogger, config, hosts: createAdapterProvider({ fleet, clock, config, log: silentLogger }), payments: createProviderRegistry(config.payments, clock) };
    for (const name of fleet.hostNames) await addHost(ctx.db, { name, adapter: 'sim' });
    await runPollCycle(ctx);
    const uuids = (await rows<{ uuid: string }>(ctx.db, sql`select uuid::text as uuid from vms order by name limit ${vmCount}`)).map((r) => r.uuid);
    if (uuids.length !== vmCount) throw new Error(`bench api: the sim fleet produced ${uuids.length} VMs, wanted ${vmCount}`);
    const tenant = await createTenant(ctx, { company: 'Bench Co', billingEmail: 'bench@bench.test', currency: 'EUR' });
    const plan = await createPlan(ctx, { name: 'bench', currency: 'EUR', basePrice: 500n });
    for (const vmUuid of uuids) await assignVm(ctx, { vmUuid, tenantId: tenant.id, planId: plan.id, from: start });
    const owner = await createUser(ctx.db, { email: 'owner@bench.test', password: 'bench bench bench', role: 'owner', tenantId: tenant.id });
    const { token } = await createApiToken(ctx, actorFromSession(owner), { name: 'bench', readOnly: true });

    apiServer = await startServer(ctx, 0, '127.0.0.1');
    const helloUrl = await new Promise<string>((resolve) => {
      helloServer = serve({ fetch: hello.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}/hello`));
    });
    const vmsUrl = `${apiServer.url}/api/v1/vms`;
    const auth = { authorization: `Bearer ${token}` };
    const check = await getJson(vmsUrl, auth);
    const listed = (check.body as { items?: unknown[] }).items?.length;
    if (check.status !== 200 || listed !== vmCount) throw new Error(`bench api: GET /api/v1/vms answered ${check.status} with ${listed} VMs, wanted 200 with ${vmCount}`);

    progress(`api: autocannon ${connections} connections × ${seconds}s each`);
    const base = await measure(helloUrl, {}, seconds, connections);
    const list = await measure(vmsUrl, auth, seconds, connections);
    report(`JSON API: GET /api/v1/vms, tenant with ${vmCount} VMs (PostgreSQL, ${connections} connections)`, [
      ['GET /api/v1/vms', `${fmt(list.rps)} req/s  p99 ${fmt(list.p99)} ms  non-2xx ${list.non2xx}`],
      ['baseline: Hono hello-world', `${fmt(base.rps)} req/s  p99 ${fmt(base.p99)} ms  non-2xx ${base.non2xx}`],
      ['ratio (goal ≥ 50%)', `${fmt((list.rps / base.rps) * 100, 1)}%`],
    ]);
  } finally {
    await apiServer?.close();
    await new Promise<void>((r) => (helloServer ? helloServer.close(() => r()) : r()));
    await b.drop();
  }
}
