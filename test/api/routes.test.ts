// Happy paths of every /api/v1 route, in-process with app.request(), with the effects checked in the
// database (audit rows, token rows, hosts) and on the fake host adapter.
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { api, buildApiFixture, expectProblem, ORIGIN, type ApiFixture } from './support.ts';
import { usageMinute } from '../../src/db/schema/usage.ts';
import { hostPollFailures } from '../../src/db/schema/hosts.ts';
import { listAudit } from '../../src/auth/audit.ts';
import { getInvoice } from '../../src/billing/invoices/queries.ts';
import { listHosts } from '../../src/hosts/registry.ts';
import { forgetLiveStates } from '../../src/portal/queries/live-state.ts';

let db: TestDatabase;
let f: ApiFixture;
beforeAll(async () => {
  db = await createTestDatabase();
  f = await buildApiFixture(db);
});
afterAll(async () => db?.close());

interface Vm {
  id: string;
  name: string;
  tenant: { id: string } | null;
  plan: { name: string } | null;
}

describe('VMs', () => {
  it('lists the tenant’s VMs only; operators see all; a VM-limited token sees its VM', async () => {
    const own = (await (await api(f.app, '/api/v1/vms', { token: f.tokens.ownerA })).json()) as { items: Vm[] };
    expect(own.items.map((v) => v.name)).toEqual(['db-a', 'old-4444', 'web-a']);
    expect(own.items.every((v) => v.tenant?.id === f.tenantA.id)).toBe(true);
    const ops = (await (await api(f.app, '/api/v1/vms', { token: f.tokens.operator })).json()) as { items: Vm[] };
    expect(ops.items.map((v) => v.id).sort()).toEqual([f.vmA, f.vmA2, f.vmB, '44444444-4444-4444-8444-444444444444', '55555555-5555-4555-8555-555555555555'].sort());
    const limited = (await (await api(f.app, '/api/v1/vms', { token: f.tokens.vmLimitedA })).json()) as { items: Vm[] };
    expect(limited.items.map((v) => v.id)).toEqual([f.vmA]);
  });

  it('a VM-limited caller gets one list per cached tenant list (so its serialised body is reused)', async () => {
    const { listVmsForActor } = await import('../../src/portal/queries/vms.ts');
    const { actorFromSession } = await import('../../src/portal/env.ts');
    const owner = actorFromSession(f.users.ownerA);
    const limited = { ...owner, via: 'token' as const, vmUuid: f.vmA };
    const first = await listVmsForActor(f.ctx, limited);
    expect(first.map((v) => v.uuid)).toEqual([f.vmA]);
    expect(await listVmsForActor(f.ctx, limited)).toBe(first);
    expect((await listVmsForActor(f.ctx, { ...limited, vmUuid: f.vmA2 })).map((v) => v.uuid)).toEqual([f.vmA2]);
    expect(await listVmsForActor(f.ctx, owner)).toHaveLength(3);
  });

  it('lists summaries as documented (VmListItem); the detail keeps the host and plan ids', async () => {
    const { VmListItemSchema } = await import('../../src/api/schemas.ts');
    const own = (await (await api(f.app, '/api/v1/vms', { token: f.tokens.ownerA })).json()) as { items: unknown[] };
    for (const item of own.items) expect(VmListItemSchema.strict().safeParse(item).success, JSON.stringify(item)).toBe(true);
    expect(own.items.find((v) => (v as { id: string }).id === f.vmA2)).toMatchObject({ name: 'db-a', planName: 'small', tenant: { id: f.tenantA.id } });
    const detail = (await (await api(f.app, `/api/v1/vms/${f.vmA2}`, { token: f.tokens.ownerA })).json()) as { host: { id: string }; plan: { id: string; name: string } };
    expect(detail.host.id).toBe(f.host.id);
    expect(detail.plan).toMatchObject({ name: 'small' });
    forgetLiveStates(f.ctx); // the detail asked the host; the next test changes it
  });

  it('sends the list gzipped to clients that accept gzip: the same JSON, and says the response varies', async () => {
    const get = (acceptEncoding?: string) =>
      f.app.request(`${ORIGIN}/api/v1/vms`, { headers: { authorization: `Bearer ${f.tokens.operator}`, ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) } });
    const plain = await get();
    const text = await plain.text();
    expect(Buffer.byteLength(text)).toBeGreaterThan(1024); // big enough to be gzipped
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('vary')).toBe('accept-encoding');
    const gz = await get('br;q=1, gzip;q=0.8');
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gz.headers.get('vary')).toBe('accept-encoding');
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString('utf8')).toBe(text);
    expect((await get('gzip;q=0, *')).headers.get('content-encoding')).toBeNull();
  });

  it('shows one VM with its live state from the host', async () => {
    f.hosts.adapter.running.set(f.vmA2, false);
    const res = await api(f.app, `/api/v1/vms/${f.vmA2}`, { token: f.tokens.readOnlyA });
    expect(res.status).toBe(200);
    const vm = (await res.json()) as Vm & { state: string; live: { state: string; live: boolean } };
    expect(vm).toMatchObject({ id: f.vmA2, name: 'db-a', state: 'running', live: { state: 'stopped', live: true }, plan: { name: 'small' } });
    f.hosts.adapter.running.set(f.vmA2, true);
  });

  it.each(['shutdown', 'start', 'reboot', 'destroy'] as const)('%s goes through the adapter and is audited like the portal', async (action) => {
    const before = f.hosts.adapter.calls.length;
    const res = await api(f.app, `/api/v1/vms/${f.vmA}/${action}`, { method: 'POST', token: f.tokens.ownerA });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { vm: Vm; action: string; result: string };
    expect(body).toMatchObject({ action, result: 'ok', vm: { id: f.vmA } });
    // `xl create` takes the domain name; the others the UUID (powerVm's rule).
    expect(f.hosts.adapter.calls.slice(before)).toEqual([{ domain: action === 'start' ? 'web-a' : f.vmA, action }]);
    const [entry] = await listAudit(f.ctx.db, { tenantId: f.tenantA.id, action: `vm.${action}`, limit: 1 });
    expect(entry).toMatchObject({ result: 'ok', target: f.vmA, actorUserId: f.users.ownerA.id, ip: '127.0.0.7' });
    expect(entry.actorLabel).toContain('token ownerA');
  });

  it('answers 409 when the action does not fit the state, 503 without internals when the host is down', async () => {
    // The previous test ended with destroy: the VM is off.
    const p409 = await expectProblem(await api(f.app, `/api/v1/vms/${f.vmA}/shutdown`, { method: 'POST', token: f.tokens.ownerA }), 409);
    expect(p409.detail).toContain('is not running');
    expect(p409.type).toBe('/api/docs#problem-conflict');
    f.hosts.adapter.reachable = false;
    try {
      const res = await api(f.app, `/api/v1/vms/${f.vmA}/start`, { method: 'POST', token: f.tokens.ownerA });
      expect(res.headers.get('retry-after')).toBe('60');
      const p503 = await expectProblem(res, 503);
      expect(p503.type).toBe('/api/docs#problem-host-unavailable');
      expect(JSON.stringify(p503)).not.toContain('ECONNREFUSED');
      const [entry] = await listAudit(f.ctx.db, { tenantId: f.tenantA.id, action: 'vm.start', limit: 1 });
      expect(entry.result).toBe('failed');
    } finally {
      f.hosts.adapter.reachable = true;
    }
  });

  it('returns usage bins from the buckets, one meter or all, with poll gaps (errors for operators only)', async () => {
    const now = f.clock.now().getTime();
    const at = (minAgo: number) => new Date(now - minAgo * 60_000);
    const row = (t: Date, cpu: bigint) => ({ vmUuid: f.vmA, bucket: t, cpuSeconds: cpu, memMibSeconds: '61440.500', netTxBytes: 1000n, samples: 6 });
    // 12:00 now; 11:50 and 11:51 fall in the 11:50 bin, 11:40 in its own, 2 days ago outside 24 h.
    await f.ctx.db.insert(usageMinute).values([row(at(10), 30n), row(at(9), 12n), row(at(20), 5n), row(at(48 * 60), 999n)]);
    await f.ctx.db.insert(hostPollFailures).values({ hostId: f.host.id, at: at(15), error: 'ssh 10.0.0.5:22: connect ECONNREFUSED' });

    const res = await api(f.app, `/api/v1/vms/${f.vmA}/usage?meter=cpu_seconds&range=24h`, { token: f.tokens.vmLimitedA });
    expect(res.status).toBe(200);
    const u = (await res.json()) as { bin: string; binSeconds: number; meters: string[]; points: { t: string; values: Record<string, string> }[]; gaps: { at: string; error?: string }[] };
    expect(u.bin).toBe('5min');
    expect(u.binSeconds).toBe(300);
    expect(u.meters).toEqual(['cpu_seconds']);
    expect(u.points).toEqual([
      { t: '2026-03-15T11:40:00.000Z', values: { cpu_seconds: '5' } },
      { t: '2026-03-15T11:50:00.000Z', values: { cpu_seconds: '42' } },
    ]);
    expect(u.gaps).toEqual([{ at: '2026-03-15T11:45:00.000Z' }]);

    const all = (await (await api(f.app, `/api/v1/vms/${f.vmA}/usage?range=7d`, { token: f.tokens.operator })).json()) as typeof u;
    expect(all.bin).toBe('hour');
    expect(all.meters).toContain('mem_mib_seconds');
    expect(all.points.find((p) => p.t === '2026-03-15T11:00:00.000Z')?.values).toMatchObject({ cpu_seconds: '47', mem_mib_seconds: '184321.500', net_tx_bytes: '3000' });
    expect(all.gaps[0].error).toContain('ECONNREFUSED');

    const period = (await (await api(f.app, `/api/v1/vms/${f.vmA}/usage?range=period`, { token: f.tokens.ownerA })).json()) as typeof u & { from: string };
    expect(period.from).toBe('2026-03-01T00:00:00.000Z');
    expect(period.bin).toBe('day');
  });
});

describe('invoices', () => {
  it('lists issued invoices of the tenant; drafts and other tenants stay hidden; operators see all', async () => {
    const own = (await (await api(f.app, '/api/v1/invoices', { token: f.tokens.readOnlyA })).json()) as { items: { id: string; status: string; total: string }[] };
    expect(own.items.map((i) => i.id)).toEqual([f.invoiceA]);
    expect(own.items[0].status).toBe('finalized');
    const ops = (await (await api(f.app, '/api/v1/invoices', { token: f.tokens.operator })).json()) as typeof own;
    expect(ops.items.map((i) => i.id).sort()).toEqual([f.invoiceA, f.invoiceB, f.draftA].sort());
    const drafts = (await (await api(f.app, '/api/v1/invoices?status=draft', { token: f.tokens.operator })).json()) as typeof own;
    expect(drafts.items.map((i) => i.id)).toEqual([f.draftA]);
    const tenantDrafts = (await (await api(f.app, '/api/v1/invoices?status=draft', { token: f.tokens.ownerA })).json()) as typeof own;
    expect(tenantDrafts.items).toEqual([]);
    const feb = (await (await api(f.app, '/api/v1/invoices?period=2026-02', { token: f.tokens.operator })).json()) as typeof own;
    expect(feb.items.map((i) => i.id).sort()).toEqual([f.invoiceA, f.invoiceB].sort());
  });

  it('shows an invoice with lines whose amounts match the stored invoice exactly', async () => {
    const stored = await getInvoice(f.ctx, f.invoiceA);
    const res = await api(f.app, `/api/v1/invoices/${f.invoiceA}`, { token: f.tokens.ownerA });
    expect(res.status).toBe(200);
    const inv = (await res.json()) as { number: string; total: string; subtotal: string; lines: { amount: string; vmId: string | null }[] };
    expect(inv.number).toBe(stored.number);
    expect(inv.total).toBe(stored.total.toString());
    expect(inv.lines.map((l) => BigInt(l.amount)).reduce((a, b) => a + b, 0n)).toBe(stored.subtotal);
    expect(inv.lines.length).toBe(stored.lines.length);
    expect(inv.lines.length).toBeGreaterThan(0);
  });

  it('serves the PDF', async () => {
    const res = await api(f.app, `/api/v1/invoices/${f.invoiceA}/pdf`, { token: f.tokens.ownerA });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toMatch(/filename="KZ-2026-\d{6}\.pdf"/);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(bytes.subarray(-6).toString('latin1')).toContain('%%EOF');
  });
});

describe('tokens (session callers)', () => {
  const session = () => ({ cookie: f.cookies.ownerA, csrf: f.csrf.ownerA, origin: ORIGIN });

  it('creates a token shown once, lists it without the secret, and revokes it', async () => {
    const created = await api(f.app, '/api/v1/tokens', { ...session(), json: { name: 'ci deploy', vmId: f.vmA2, readOnly: true } });
    expect(created.status).toBe(201);
    const t = (await created.json()) as { id: string; token: string; prefix: string; vmId: string; readOnly: boolean };
    expect(t.token).toMatch(/^kb_[a-z2-7]{32}$/);
    expect(t).toMatchObject({ vmId: f.vmA2, readOnly: true, prefix: t.token.slice(0, 9) });

    const seen = (await (await api(f.app, '/api/v1/vms', { token: t.token })).json()) as { items: Vm[] };
    expect(seen.items.map((v) => v.id)).toEqual([f.vmA2]);

    const listRes = await api(f.app, '/api/v1/tokens', { cookie: f.cookies.ownerA });
    const listText = await listRes.text();
    expect(listRes.status).toBe(200);
    expect(listText).toContain(t.id);
    expect(listText).not.toContain(t.token);
    expect(listText).not.toMatch(/tokenHash|token_hash/);

    const del = await api(f.app, `/api/v1/tokens/${t.id}`, { method: 'DELETE', ...session() });
    expect(del.status).toBe(204);
    await expectProblem(await api(f.app, '/api/v1/vms', { token: t.token }), 401);
    const audit = await listAudit(f.ctx.db, { tenantId: f.tenantA.id, action: 'token.revoke', limit: 1 });
    expect(audit[0].target).toBe(t.id);
  });

  it('refuses session state changes without CSRF token or from another origin, and members minting tokens', async () => {
    const noCsrf = await expectProblem(await api(f.app, '/api/v1/tokens', { cookie: f.cookies.ownerA, origin: ORIGIN, json: { name: 'x' } }), 403);
    expect(noCsrf.detail).toContain('X-CSRF-Token');
    const evil = await expectProblem(await api(f.app, '/api/v1/tokens', { ...session(), origin: 'https://evil.example', json: { name: 'x' } }), 403);
    expect(evil.detail).toContain('Origin');
    await expectProblem(await api(f.app, '/api/v1/tokens', { cookie: f.cookies.memberA, csrf: f.csrf.memberA, origin: ORIGIN, json: { name: 'x' } }), 403);
    // The same session may power its own VM with CSRF token and Origin.
    const ok = await api(f.app, `/api/v1/vms/${f.vmA2}/reboot`, { method: 'POST', ...session() });
    expect(ok.status).toBe(200);
  });
});

describe('operator routes', () => {
  it('lists, adds and removes hosts', async () => {
    const list = (await (await api(f.app, '/api/v1/hosts', { token: f.tokens.operatorReadOnly })).json()) as { items: { name: string }[] };
    expect(list.items.map((h) => h.name)).toEqual(['fake-01']);
    expect(JSON.stringify(list)).not.toContain('keyPath');

    const added = await api(f.app, '/api/v1/hosts', { token: f.tokens.operator, json: { name: 'dom0-fra-02', adapter: 'sim' } });
    expect(added.status).toBe(201);
    const h = (await added.json()) as { id: string; name: string; adapter: string; port: number };
    expect(h).toMatchObject({ name: 'dom0-fra-02', adapter: 'sim', port: 22 });
    expect((await listHosts(f.ctx.db)).map((x) => x.name)).toContain('dom0-fra-02');

    const dup = await expectProblem(await api(f.app, '/api/v1/hosts', { token: f.tokens.operator, json: { name: 'dom0-fra-02', adapter: 'sim' } }), 409);
    expect(dup.detail).toContain('dom0-fra-02');
    const ssh = await expectProblem(await api(f.app, '/api/v1/hosts', { token: f.tokens.operator, json: { name: 'dom0-x', adapter: 'ssh' } }), 400);
    expect(ssh.detail).toContain('address');

    expect((await api(f.app, `/api/v1/hosts/${h.id}`, { method: 'DELETE', token: f.tokens.operator })).status).toBe(204);
    expect((await listHosts(f.ctx.db)).map((x) => x.name)).not.toContain('dom0-fra-02');
    await expectProblem(await api(f.app, `/api/v1/hosts/${h.id}`, { method: 'DELETE', token: f.tokens.operator }), 404);
  });

  it('lists tenants', async () => {
    const res = await api(f.app, '/api/v1/tenants', { token: f.tokens.operator });
    const body = (await res.json()) as { items: { company: string; currency: string }[] };
    expect(body.items.map((t) => t.company)).toEqual(['Acme', 'Other Co']);
    expect(body.items[0].currency).toBe('EUR');
  });
});
