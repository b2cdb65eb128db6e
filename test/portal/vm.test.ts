// Tenant VM pages: dashboard, VM detail, power actions (confirmation, results, errors, audit),
// usage charts with failed-poll marks, and HTML injection through VM and tenant names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { buildFixture, req, type Fixture } from './support.ts';
import { listAudit } from '../../src/auth/audit.ts';
import { usageMinute } from '../../src/db/schema/usage.ts';
import { hostPollFailures } from '../../src/db/schema/hosts.ts';
import { forgetLiveStates } from '../../src/portal/queries/live-state.ts';

let database: TestDatabase;
let f: Fixture;
const EVIL_VM = '<img src=x onerror=alert(1)>';
const EVIL_TENANT = 'Acme <script>alert("t")</script>';

beforeAll(async () => {
  database = await createTestDatabase();
  f = await buildFixture(database, { vmAName: EVIL_VM, tenantAName: EVIL_TENANT });
});
afterAll(async () => database?.close());

describe('dashboard and VM page', () => {
  it('lists only the tenant’s VMs with live state and the period so far', async () => {
    f.hosts.adapter.running.set(f.vmA2, false);
    forgetLiveStates(f.ctx);
    const html = await (await req(f.app, '/', { cookie: f.cookies.ownerA })).text();
    expect(html).toContain(`data-vm="${f.vmA}"`);
    expect(html).toContain(`data-vm="${f.vmA2}"`);
    expect(html).not.toContain(f.vmB);
    expect(html).toMatch(new RegExp(`data-vm="${f.vmA2}".*?data-state="stopped"`, 's'));
    expect(html).toContain('This billing period');
    expect(html).toContain('id="estimate"');
    f.hosts.adapter.running.set(f.vmA2, true);
  });

  it('shows the last polled state, marked, when the host does not answer', async () => {
    f.hosts.adapter.reachable = false;
    forgetLiveStates(f.ctx);
    const html = await (await req(f.app, `/vms/${f.vmA}`, { cookie: f.cookies.ownerA })).text();
    expect(html).toContain('(last seen)');
    f.hosts.adapter.reachable = true;
  });

  it('escapes a VM name and a tenant name carrying markup everywhere', async () => {
    for (const [path, cookie] of [
      ['/', f.cookies.ownerA],
      [`/vms/${f.vmA}`, f.cookies.ownerA],
      [`/vms/${f.vmA}/power/destroy`, f.cookies.ownerA],
      [`/vms/${f.vmA}/console`, f.cookies.ownerA],
      ['/', f.cookies.operator],
      ['/ops/tenants', f.cookies.operator],
      ['/ops/vms', f.cookies.operator],
      ['/account', f.cookies.ownerA],
    ] as const) {
      const html = await (await req(f.app, path, { cookie })).text();
      expect(html, path).not.toContain('<img src=x');
      expect(html, path).not.toContain('<script>alert');
    }
    const dash = await (await req(f.app, '/', { cookie: f.cookies.operator })).text();
    expect(dash).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(dash).toContain('Acme &lt;script&gt;');
  });
});

describe('power actions', () => {
  it('asks for confirmation first; a POST without it only redirects there', async () => {
    const confirm = await req(f.app, `/vms/${f.vmA}/power/destroy`, { cookie: f.cookies.ownerA });
    const html = await confirm.text();
    expect(html).toContain('like pulling the plug');
    expect(html).toContain(`action="/vms/${f.vmA}/power/destroy"`);
    const before = f.hosts.adapter.calls.length;
    const res = await req(f.app, `/vms/${f.vmA}/power/destroy`, { cookie: f.cookies.ownerA, form: { _csrf: f.csrf.ownerA } });
    expect(res.status).toBe(303);
    expect(f.hosts.adapter.calls.length).toBe(before);
  });

  it('shuts down, shows the result and the new state, and audits it', async () => {
    const res = await req(f.app, `/vms/${f.vmA2}/power/shutdown`, { cookie: f.cookies.memberA, form: { _csrf: f.csrf.memberA, confirm: 'yes' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Shut down: sent to db-a.');
    expect(html).toContain('data-state="stopped"');
    expect(f.hosts.adapter.calls.at(-1)).toEqual({ domain: f.vmA2, action: 'shutdown' });
    const [entry] = await listAudit(f.ctx.db, { action: 'vm.shutdown' });
    expect(entry).toMatchObject({ result: 'ok', target: f.vmA2, tenantId: f.tenantA.id, actorUserId: f.users.memberA.id, ip: '127.0.0.9' });
  });

  it('starts by domain name (xl create reads <name>.cfg)', async () => {
    const res = await req(f.app, `/vms/${f.vmA2}/power/start`, { cookie: f.cookies.ownerA, form: { _csrf: f.csrf.ownerA, confirm: 'yes' } });
    expect(res.status).toBe(200);
    expect(f.hosts.adapter.calls.at(-1)).toEqual({ domain: 'db-a', action: 'start' });
    expect(await res.text()).toContain('data-state="running"');
  });

  it('explains an action that does not fit the state (409) and audits the failure', async () => {
    const res = await req(f.app, `/vms/${f.vmA2}/power/start`, { cookie: f.cookies.ownerA, form: { _csrf: f.csrf.ownerA, confirm: 'yes' } });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('does not fit the VM&#39;s state: domain db-a is already running');
    const [entry] = await listAudit(f.ctx.db, { action: 'vm.start' });
    expect(entry.result).toBe('failed');
  });

  it('says clearly when the host is unreachable (503), nothing done', async () => {
    f.hosts.adapter.reachable = false;
    const res = await req(f.app, `/vms/${f.vmA2}/power/reboot`, { cookie: f.cookies.ownerA, form: { _csrf: f.csrf.ownerA, confirm: 'yes' } });
    f.hosts.adapter.reachable = true;
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('The host is unreachable right now, nothing was done');
  });
});

describe('usage charts', () => {
  it('draws each meter as SVG from the buckets and marks failed polls', async () => {
    const now = f.clock.now().getTime();
    const rows = Array.from({ length: 120 }, (_, i) => ({
      vmUuid: f.vmA,
      bucket: new Date(Math.floor(now / 60_000) * 60_000 - (i + 1) * 60_000),
      cpuSeconds: 30n,
      netTxBytes: BigInt(1_000_000 + i),
      memMibSeconds: '61440.000',
      uptimeSeconds: '60.000',
      samples: 6,
    }));
    await f.ctx.db.insert(usageMinute).values(rows);
    await f.ctx.db.insert(hostPollFailures).values({ hostId: f.host.id, at: new Date(now - 30 * 60_000), error: 'ssh: connect timed out' });
    const html = await (await req(f.app, `/vms/${f.vmA}?range=24h`, { cookie: f.cookies.ownerA })).text();
    expect((html.match(/<svg /g) ?? []).length).toBe(6);
    expect(html).toContain('<polyline class="line"');
    expect(html).toContain('class="gap"');
    expect(html).toContain('poll failed at');
    expect(html).toContain('ssh: connect timed out');
    // CPU: 30 s per minute = 0.5 cores on average in each full 5-minute bin
    expect(html).toMatch(/CPU: average [0-9.]+ cores, peak 0\.50 cores, 1 failed poll/);
    expect(html).toMatch(/Memory: average [0-9.]+ MiB, peak 1\.02k MiB/);
    // 120 full minutes up to the last closed minute: two hours of uptime
    expect(html).toContain('<dd id="uptime">2h 0m (from metering)</dd>');
    for (const range of ['7d', '30d', 'period']) {
      const r = await req(f.app, `/vms/${f.vmA}?range=${range}`, { cookie: f.cookies.ownerA });
      expect(r.status).toBe(200);
      expect(await r.text()).toContain('<polyline class="line"');
    }
  });
});
