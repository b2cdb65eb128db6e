// The console over a real server and WebSocket: tickets (single use, 30 s, bound to VM and session),
// Origin and session checks, keystrokes and resize bridged, one holder per VM, end → reconnect code, audit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { buildFixture, type Fixture } from './support.ts';
import { startServer, type RunningServer } from '../../src/portal/server.ts';
import { listAudit } from '../../src/auth/audit.ts';

let database: TestDatabase;
let f: Fixture;
let server: RunningServer;

beforeAll(async () => {
  database = await createTestDatabase();
  f = await buildFixture(database);
  server = await startServer(f.ctx, 0, '127.0.0.1');
});
afterAll(async () => {
  await server?.close();
  await database?.close();
});

async function ticket(vm: string, who: 'ownerA' | 'ownerB' = 'ownerA'): Promise<{ status: number; ticket?: string }> {
  const res = await fetch(`${server.url}/vms/${vm}/console-ticket`, {
    method: 'POST',
    headers: { cookie: f.cookies[who], origin: server.url, 'x-csrf-token': f.csrf[who] },
  });
  return { status: res.status, ticket: res.ok ? ((await res.json()) as { ticket: string }).ticket : undefined };
}

interface Conn {
  ws: WebSocket;
  messages: (string | Buffer)[];
  closed: Promise<{ code: number }>;
  next(pred: (m: string | Buffer) => boolean): Promise<string | Buffer>;
}

function connect(vm: string, t: string, o: { origin?: string; cookie?: string } = {}): Promise<Conn | { rejected: number }> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/vms/${vm}/console?ticket=${t}`, {
    headers: { origin: o.origin ?? server.url, cookie: o.cookie ?? f.cookies.ownerA },
  });
  const messages: (string | Buffer)[] = [];
  const waiters: { pred: (m: string | Buffer) => boolean; resolve: (m: string | Buffer) => void }[] = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const m = isBinary ? data : data.toString();
    messages.push(m);
    for (const w of [...waiters]) if (w.pred(m)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(m));
  });
  const closed = new Promise<{ code: number }>((r) => ws.on('close', (code) => r({ code })));
  return new Promise((resolve) => {
    ws.on('unexpected-response', (_req, res) => resolve({ rejected: res.statusCode ?? 0 }));
    ws.on('open', () =>
      resolve({
        ws,
        messages,
        closed,
        next: (pred) => {
          const found = messages.find(pred);
          return found !== undefined ? Promise.resolve(found) : new Promise((r) => waiters.push({ pred, resolve: r }));
        },
      }),
    );
  });
}

const isJson = (type: string) => (m: string | Buffer) => typeof m === 'string' && JSON.parse(m).type === type;

describe('console', () => {
  it('bridges keystrokes and resize, and audits open and close', async () => {
    const t = await ticket(f.vmA);
    expect(t.status).toBe(200);
    const c = await connect(f.vmA, t.ticket!);
    if ('rejected' in c) throw new Error(`rejected ${c.rejected}`);
    await c.next(isJson('open'));
    c.ws.send(JSON.stringify({ type: 'data', data: 'uname\r' }));
    const out = await c.next((m) => Buffer.isBuffer(m));
    expect(out.toString()).toBe('echo:uname\r');
    c.ws.send(JSON.stringify({ type: 'resize', cols: 120, rows: 40 }));
    await new Promise((r) => setTimeout(r, 50));
    expect(f.hosts.adapter.consoles.at(-1)!.resized).toEqual([[120, 40]]);
    c.ws.close(1000);
    await c.closed;
    await new Promise((r) => setTimeout(r, 100));
    const log = await listAudit(f.ctx.db, {});
    expect(log.find((e) => e.action === 'console.open' && e.result === 'ok')?.target).toBe(f.vmA);
    expect(log.find((e) => e.action === 'console.close')?.target).toBe(f.vmA);
  });

  it('refuses a used ticket', async () => {
    const t = await ticket(f.vmA);
    const c = await connect(f.vmA, t.ticket!);
    if ('rejected' in c) throw new Error('first use refused');
    await c.next(isJson('open'));
    c.ws.close();
    await c.closed;
    expect(await connect(f.vmA, t.ticket!)).toEqual({ rejected: 403 });
  });

  it('refuses an expired ticket (30 s)', async () => {
    const t = await ticket(f.vmA);
    f.clock.advance(31_000);
    expect(await connect(f.vmA, t.ticket!)).toEqual({ rejected: 403 });
  });

  it('refuses a ticket for another VM, a foreign Origin, another session, no session', async () => {
    const t1 = await ticket(f.vmA);
    expect(await connect(f.vmA2, t1.ticket!)).toEqual({ rejected: 403 });
    const t2 = await ticket(f.vmA);
    expect(await connect(f.vmA, t2.ticket!, { origin: 'https://evil.test' })).toEqual({ rejected: 403 });
    const t3 = await ticket(f.vmA);
    expect(await connect(f.vmA, t3.ticket!, { cookie: f.cookies.memberA })).toEqual({ rejected: 403 });
    const t4 = await ticket(f.vmA);
    const none = await connect(f.vmA, t4.ticket!, { cookie: '' });
    expect('rejected' in none && [403, 404].includes(none.rejected)).toBe(true);
    // the refusals did not burn through to an open console
    expect(f.hosts.adapter.consoles.filter((c) => !c.destroyed)).toHaveLength(0);
  });

  it('gives no ticket for another tenant’s VM', async () => {
    expect((await ticket(f.vmA, 'ownerB')).status).toBe(404);
  });

  it('says once, clearly, that another console holds the VM', async () => {
    const a = await connect(f.vmA, (await ticket(f.vmA)).ticket!);
    if ('rejected' in a) throw new Error('refused');
    await a.next(isJson('open'));
    const b = await connect(f.vmA, (await ticket(f.vmA)).ticket!);
    if ('rejected' in b) throw new Error('refused');
    const msg = JSON.parse((await b.next(isJson('busy'))) as string) as { text: string };
    expect(msg.text).toContain('Another console session is open');
    expect((await b.closed).code).toBe(4009);
    a.ws.close();
    await a.closed;
  });

  it('closes with the reconnect code when the console ends (VM reboot), and a new ticket reconnects', async () => {
    const a = await connect(f.vmA, (await ticket(f.vmA)).ticket!);
    if ('rejected' in a) throw new Error('refused');
    await a.next(isJson('open'));
    f.hosts.adapter.consoles.at(-1)!.push(null);
    expect((await a.closed).code).toBe(4000);
    await new Promise((r) => setTimeout(r, 50));
    const b = await connect(f.vmA, (await ticket(f.vmA)).ticket!);
    if ('rejected' in b) throw new Error('refused');
    await b.next(isJson('open'));
    b.ws.close();
    await b.closed;
  });

  it('tells the page to wait when the VM is not running', async () => {
    f.hosts.adapter.running.set(f.vmA2, false);
    const a = await connect(f.vmA2, (await ticket(f.vmA2)).ticket!);
    if ('rejected' in a) throw new Error('refused');
    const msg = JSON.parse((await a.next(isJson('unavailable'))) as string) as { text: string };
    expect(msg.text).toContain('is not running');
    expect((await a.closed).code).toBe(4001);
    f.hosts.adapter.running.set(f.vmA2, true);
  });
});
