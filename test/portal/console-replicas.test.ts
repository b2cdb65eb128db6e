// One console per VM across replicas: two app instances (own contexts, own host adapters) on one database.
// The second is refused while the first holds the VM; a holder whose heartbeat went stale is taken over;
// suspending the tenant ends its consoles at once here and, on other replicas, at their next heartbeat.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eq, sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { buildFixture, FakeHosts, type Fixture } from './support.ts';
import { startServer, type RunningServer } from '../../src/portal/server.ts';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { consoleSessions } from '../../src/db/schema/auth.ts';
import { tenants } from '../../src/db/schema/billing.ts';
import { listAudit } from '../../src/auth/audit.ts';
import { heartbeatConsoleHolds, HOLD_STALE_MS } from '../../src/auth/console-holds.ts';
import { suspendTenant, unsuspendTenant } from '../../src/billing/index.ts';
import type { AppContext } from '../../src/context.ts';

let database: TestDatabase;
let second: Database | null = null;
let f: Fixture;
let ctx2: AppContext;
let hosts2: FakeHosts;
let one: RunningServer;
let two: RunningServer;

beforeAll(async () => {
  database = await createTestDatabase();
  f = await buildFixture(database);
  // Replica two: its own pool on PostgreSQL (the single PGlite handle is shared, as it would be in one process).
  second = database.url ? await openDatabase({ url: database.url, max: 2 }) : null;
  hosts2 = new FakeHosts();
  for (const [uuid, name] of f.hosts.adapter.names) {
    hosts2.adapter.names.set(uuid, name);
    hosts2.adapter.running.set(uuid, true);
  }
  ctx2 = { ...f.ctx, db: second?.db ?? f.ctx.db, hosts: hosts2 };
  one = await startServer(f.ctx, 0, '127.0.0.1');
  two = await startServer(ctx2, 0, '127.0.0.1');
});
afterAll(async () => {
  await one?.close();
  await two?.close();
  await second?.close();
  await database?.close();
});

type Who = 'ownerA' | 'memberA' | 'operator';

async function ticket(server: RunningServer, vm: string, who: Who = 'ownerA'): Promise<string> {
  const res = await fetch(`${server.url}/vms/${vm}/console-ticket`, { method: 'POST', headers: { cookie: f.cookies[who], origin: server.url, 'x-csrf-token': f.csrf[who] } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { ticket: string }).ticket;
}

interface Conn {
  ws: WebSocket;
  closed: Promise<{ code: number }>;
  next(type: string): Promise<{ type: string; text: string }>;
}

async function open(server: RunningServer, vm: string, who: Who = 'ownerA'): Promise<Conn> {
  const t = await ticket(server, vm, who);
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/vms/${vm}/console?ticket=${t}`, { headers: { origin: server.url, cookie: f.cookies[who] } });
  const msgs: { type: string; text: string }[] = [];
  const waiters: { type: string; resolve: (m: { type: string; text: string }) => void }[] = [];
  ws.on('message', (data: Buffer, binary: boolean) => {
    if (binary) return;
    const m = JSON.parse(data.toString()) as { type: string; text: string };
    msgs.push(m);
    for (const w of [...waiters]) if (w.type === m.type) (waiters.splice(waiters.indexOf(w), 1), w.resolve(m));
  });
  const closed = new Promise<{ code: number }>((r) => ws.on('close', (code) => r({ code })));
  await new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('unexpected-response', (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  return {
    ws,
    closed,
    next: (type) => {
      const found = msgs.find((m) => m.type === type);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ type, resolve }));
    },
  };
}

const rowOf = async (vm: string) => (await f.ctx.db.select().from(consoleSessions).where(eq(consoleSessions.vmUuid, vm)))[0];
const settle = () => new Promise((r) => setTimeout(r, 100));

describe('one console holder per VM across replicas', () => {
  it('refuses a second console on another replica, then lets it in once the first closes', async () => {
    const a = await open(one, f.vmA);
    await a.next('open');
    expect((await rowOf(f.vmA))?.userId).toBe(f.users.ownerA.id);

    const b = await open(two, f.vmA, 'memberA');
    expect((await b.next('busy')).text).toContain('Another console session is open on web-a');
    expect((await b.closed).code).toBe(4009);
    // replica two never asked its host for the console
    expect(hosts2.adapter.consoles).toHaveLength(0);

    a.ws.close(1000);
    await a.closed;
    await settle();
    expect(await rowOf(f.vmA)).toBeUndefined();
    const c = await open(two, f.vmA, 'memberA');
    await c.next('open');
    expect(hosts2.adapter.consoles).toHaveLength(1);
    c.ws.close(1000);
    await c.closed;
    await settle();
    const denied = (await listAudit(f.ctx.db, { action: 'console.open' })).filter((e) => e.result === 'denied');
    expect(denied[0]).toMatchObject({ actorUserId: f.users.memberA.id, target: f.vmA, detail: { reason: 'held by another session' } });
  });

  it('takes over a row whose heartbeat went stale (its process died); a live row stays busy', async () => {
    const now = f.clock.now();
    const dead = { vmUuid: f.vmA2, holder: 'crashed-replica', userId: f.users.memberA.id, tenantId: f.tenantA.id, openedAt: now, heartbeatAt: now };
    await f.ctx.db.insert(consoleSessions).values(dead);
    const busy = await open(two, f.vmA2);
    await busy.next('busy');
    await busy.closed;
    await f.ctx.db.update(consoleSessions).set({ heartbeatAt: new Date(now.getTime() - HOLD_STALE_MS - 1000) }).where(eq(consoleSessions.vmUuid, f.vmA2));
    const taken = await open(two, f.vmA2);
    await taken.next('open');
    expect((await rowOf(f.vmA2))?.holder).not.toBe('crashed-replica');
    taken.ws.close(1000);
    await taken.closed;
    await settle();
  });

  it('a holder that lost its row to a takeover learns at its next heartbeat and closes with a clear message', async () => {
    const a = await open(one, f.vmA);
    await a.next('open');
    // replica one stops heartbeating (paused, partitioned): the clock passes the stale limit
    f.clock.advance(HOLD_STALE_MS + 1000);
    const b = await open(two, f.vmA, 'memberA');
    await b.next('open');
    await heartbeatConsoleHolds();
    const lost = await a.next('refused');
    expect(lost.text).toBe('This console session was ended: another session now holds the console of web-a.');
    expect((await a.closed).code).toBe(4003);
    // the new holder is untouched by the old one going away
    await settle();
    expect((await rowOf(f.vmA))?.userId).toBe(f.users.memberA.id);
    b.ws.close(1000);
    await b.closed;
    await settle();
    expect(await rowOf(f.vmA)).toBeUndefined();
  });
});

describe('suspension ends consoles', () => {
  it("closes the tenant's consoles at once on this replica, leaves operators' open, refuses new ones", async () => {
    const a = await open(one, f.vmA);
    await a.next('open');
    const opConsole = await open(two, f.vmA2, 'operator');
    await opConsole.next('open');
    const r = await suspendTenant(ctx2, { tenantId: f.tenantA.id, reason: 'chargeback on invoice 7', by: { label: 'test' } });
    expect(r.consolesClosed).toBe(1);
    const msg = await a.next('refused');
    expect(msg.text).toBe('This account is suspended since 2026-03-15: chargeback on invoice 7. The console is unavailable until the operator lifts the suspension.');
    expect((await a.closed).code).toBe(4003);
    expect(f.hosts.adapter.consoles.at(-1)!.destroyed).toBe(true);
    // the operator's console on the same tenant's VM goes on
    expect(opConsole.ws.readyState).toBe(WebSocket.OPEN);
    expect(await rowOf(f.vmA2)).toBeDefined();
    // and no new one for the tenant's users: the ticket is refused with the reason
    const res = await fetch(`${one.url}/vms/${f.vmA}/console-ticket`, { method: 'POST', headers: { cookie: f.cookies.ownerA, origin: one.url, 'x-csrf-token': f.csrf.ownerA } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { detail: string }).detail).toContain('chargeback on invoice 7');
    opConsole.ws.close(1000);
    await opConsole.closed;
    await settle();
    const closes = await listAudit(f.ctx.db, { action: 'console.close' });
    expect(closes.some((e) => e.actorUserId === f.users.ownerA.id && (e.detail as { reason?: string } | null)?.reason === 'tenant suspended')).toBe(true);
    await unsuspendTenant(ctx2, { tenantId: f.tenantA.id, by: { label: 'test' } });
  });

  it('a replica whose row was removed by a suspension elsewhere closes at its next heartbeat, saying why', async () => {
    const a = await open(one, f.vmA);
    await a.next('open');
    // what suspendTenant does on another replica: the status flips and the tenant's rows go
    await f.ctx.db.update(tenants).set({ status: 'suspended', suspendedReason: 'set elsewhere', suspendedAt: f.clock.now() }).where(eq(tenants.id, f.tenantA.id));
    await f.ctx.db.execute(sql`delete from console_sessions where tenant_id = ${f.tenantA.id}::uuid`);
    expect(a.ws.readyState).toBe(WebSocket.OPEN);
    await heartbeatConsoleHolds();
    expect((await a.next('refused')).text).toContain('This account is suspended since 2026-03-15: set elsewhere.');
    expect((await a.closed).code).toBe(4003);
  });

  it('refuses the upgrade of a ticket issued before the suspension', async () => {
    await f.ctx.db.update(tenants).set({ status: 'active', suspendedReason: null, suspendedAt: null }).where(eq(tenants.id, f.tenantA.id));
    const t = await ticket(one, f.vmA);
    await suspendTenant(f.ctx, { tenantId: f.tenantA.id, reason: 'late ticket', by: { label: 'test' } });
    const ws = new WebSocket(`${one.url.replace('http', 'ws')}/vms/${f.vmA}/console?ticket=${t}`, { headers: { origin: one.url, cookie: f.cookies.ownerA } });
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
    });
    expect(status).toBe(403);
  });
});
