// Shared set-up for portal and API route tests: a context over a fresh test database, two tenants with
// VMs on a fake host, users of every role with sessions, and request helpers that carry cookies and Origin.
import { Duplex } from 'node:stream';
import { ManualClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/log.ts';
import type { AdapterProvider, AppContext } from '../../src/context.ts';
import { createProviderRegistry } from '../../src/billing/payments/select.ts';
import type { ConsoleStream, HostAdapter, PowerAction } from '../../src/hosts/types.ts';
import { HostError } from '../../src/hosts/types.ts';
import { addHost, type HostRecord } from '../../src/hosts/registry.ts';
import { vms } from '../../src/db/schema/hosts.ts';
import { createTenant, type Tenant } from '../../src/billing/catalogue/tenants.ts';
import { createPlan } from '../../src/billing/catalogue/plans.ts';
import { assignVm } from '../../src/billing/catalogue/assign-vm.ts';
import { createUser } from '../../src/auth/users.ts';
import { createSession } from '../../src/auth/sessions.ts';
import { CapturingMailer } from '../../src/auth/mailer.ts';
import type { UserRecord } from '../../src/auth/sessions.ts';
import { createApp } from '../../src/app.ts';
import type { TestDatabase } from '../support/db.ts';

export const ORIGIN = 'http://localhost';
/** The key that encrypts TOTP secrets at rest in these tests (SECRET_KEY). */
export const TEST_SECRET_KEY = '0f1e2d3c4b5a69788796a5b4c3d2e1f000112233445566778899aabbccddeeff';
export const PASSWORD = 'correct horse battery';

/** A console that answers each line the way a serial login prompt would echo it. */
export class FakeConsole extends Duplex implements ConsoleStream {
  resized: [number, number][] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.push(Buffer.from(`echo:${chunk.toString()}`));
    cb();
  }
  resize(cols: number, rows: number): void {
    this.resized.push([cols, rows]);
  }
}

export class FakeAdapter implements HostAdapter {
  readonly kind = 'sim' as const;
  running = new Map<string, boolean>();
  names = new Map<string, string>();
  reachable = true;
  consoles: FakeConsole[] = [];
  calls: { domain: string; action: PowerAction }[] = [];
  private held = new Set<string>();

  async sample(): Promise<never> {
    throw new HostError('CommandFailed', 'not used in portal tests');
  }
  async listDomains(): Promise<string> {
    if (!this.reachable) throw new HostError('HostUnreachable', 'fake host down');
    const list = [...this.running].filter(([, r]) => r).map(([uuid], i) => ({
      domid: i + 1,
      config: { c_info: { name: this.names.get(uuid), uuid }, b_info: { max_vcpus: 1, target_memkb: 1048576 } },
    }));
    return JSON.stringify(list);
  }
  async interfaceStats(): Promise<string> {
    return '';
  }
  async power(domain: string, action: PowerAction): Promise<void> {
    if (!this.reachable) throw new HostError('HostUnreachable', 'fake host down: connect ECONNREFUSED');
    const uuid = [...this.names].find(([u, n]) => u === domain || n === domain)?.[0];
    if (!uuid) throw new HostError('InvalidDomain', `no domain ${domain}`);
    const on = this.running.get(uuid) ?? false;
    if (action === 'start' && on) throw new HostError('InvalidState', `domain ${domain} is already running`);
    if (action !== 'start' && !on) throw new HostError('InvalidState', `domain ${domain} is not running`);
    this.calls.push({ domain, action });
    this.running.set(uuid, action === 'start' || action === 'reboot');
  }
  async openConsole(domain: string): Promise<ConsoleStream> {
    if (!this.running.get(domain)) throw new HostError('InvalidState', `domain ${domain} is not running`);
    if (this.held.has(domain)) throw new HostError('InvalidState', `console of ${domain} is held by another session`);
    this.held.add(domain);
    const c = new FakeConsole();
    c.on('close', () => this.held.delete(domain));
    this.consoles.push(c);
    return c;
  }
  async close(): Promise<void> {}
}

export class FakeHosts implements AdapterProvider {
  readonly adapter = new FakeAdapter();
  adapterFor(_host: HostRecord): HostAdapter {
    return this.adapter;
  }
  async forget(): Promise<void> {}
  async closeAll(): Promise<void> {}
}

export interface Fixture {
  ctx: AppContext & { mailer: CapturingMailer };
  clock: ManualClock;
  hosts: FakeHosts;
  app: ReturnType<typeof createApp>;
  host: HostRecord;
  tenantA: Tenant;
  tenantB: Tenant;
  vmA: string;
  vmA2: string;
  vmB: string;
  users: Record<'ownerA' | 'memberA' | 'ownerB' | 'operator', UserRecord>;
  cookies: Record<'ownerA' | 'memberA' | 'ownerB' | 'operator', string>;
  csrf: Record<'ownerA' | 'memberA' | 'ownerB' | 'operator', string>;
}

export const VM_A = '11111111-1111-4111-8111-111111111111';
export const VM_A2 = '22222222-2222-4222-8222-222222222222';
export const VM_B = '33333333-3333-4333-8333-333333333333';

export async function buildFixture(database: TestDatabase, opts: { tenantAName?: string; vmAName?: string } = {}): Promise<Fixture> {
  const clock = new ManualClock(new Date('2026-03-15T12:00:00Z'));
  const hosts = new FakeHosts();
  const config = loadConfig({ SECRET_KEY: TEST_SECRET_KEY });
  const ctx = { db: database.db, clock, log: silentLogger, config, hosts, payments: createProviderRegistry(config.payments, clock), mailer: new CapturingMailer() };
  const host = await addHost(ctx.db, { name: 'fake-01', adapter: 'sim' });
  const tenantA = await createTenant(ctx, { company: opts.tenantAName ?? 'Acme', billingEmail: 'billing@acme.test', currency: 'EUR' });
  const tenantB = await createTenant(ctx, { company: 'Other Co', billingEmail: 'billing@other.test', currency: 'EUR' });
  const plan = await createPlan(ctx, { name: 'small', currency: 'EUR', basePrice: 500n });
  const seen = new Date('2026-03-01T00:00:00Z');
  const defs = [
    { uuid: VM_A, name: opts.vmAName ?? 'web-a' },
    { uuid: VM_A2, name: 'db-a' },
    { uuid: VM_B, name: 'web-b' },
  ];
  for (const d of defs) {
    await ctx.db.insert(vms).values({ uuid: d.uuid, name: d.name, hostId: host.id, domid: 1, state: 'running', vcpus: 1, memoryMiB: 1024, firstSeenAt: seen, lastSeenAt: seen });
    // Names with markup cannot be domain names; the fake adapter still keys them.
    hosts.adapter.names.set(d.uuid, d.name);
    hosts.adapter.running.set(d.uuid, true);
  }
  await assignVm(ctx, { vmUuid: VM_A, tenantId: tenantA.id, planId: plan.id, from: seen });
  await assignVm(ctx, { vmUuid: VM_A2, tenantId: tenantA.id, planId: plan.id, from: seen });
  await assignVm(ctx, { vmUuid: VM_B, tenantId: tenantB.id, planId: plan.id, from: seen });
  const users = {
    ownerA: await createUser(ctx.db, { email: 'owner@acme.test', password: PASSWORD, role: 'owner', tenantId: tenantA.id }),
    memberA: await createUser(ctx.db, { email: 'member@acme.test', password: PASSWORD, role: 'member', tenantId: tenantA.id }),
    ownerB: await createUser(ctx.db, { email: 'owner@other.test', password: PASSWORD, role: 'owner', tenantId: tenantB.id }),
    operator: await createUser(ctx.db, { email: 'ops@kamikazi.test', password: PASSWORD, role: 'operator' }),
  };
  const cookies = {} as Fixture['cookies'];
  const csrf = {} as Fixture['csrf'];
  for (const [k, u] of Object.entries(users) as [keyof typeof users, UserRecord][]) {
    const s = await createSession(ctx, u.id, { twoFactorVerified: true });
    cookies[k] = `kb_session=${s.token}`;
    csrf[k] = s.session.csrfToken;
  }
  const app = createApp(ctx);
  return { ctx, clock, hosts, app, host, tenantA, tenantB, vmA: VM_A, vmA2: VM_A2, vmB: VM_B, users, cookies, csrf };
}

export interface ReqOptions {
  method?: string;
  cookie?: string;
  form?: Record<string, string>;
  json?: unknown;
  headers?: Record<string, string>;
  origin?: string | null;
  ip?: string;
}

export async function req(app: Fixture['app'], path: string, o: ReqOptions = {}): Promise<Response> {
  const method = o.method ?? (o.form || o.json !== undefined ? 'POST' : 'GET');
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.cookie) headers.cookie = o.cookie;
  if (method !== 'GET' && o.origin !== null) headers.origin = o.origin ?? ORIGIN;
  let body: string | undefined;
  if (o.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(o.form).toString();
  } else if (o.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(o.json);
  }
  return app.request(`${ORIGIN}${path}`, { method, headers, body }, { incoming: { socket: { remoteAddress: o.ip ?? '127.0.0.9' } } });
}

/** The `name=value` of a Set-Cookie for `name`, to send back. */
export function cookieFrom(res: Response, name: string): string | undefined {
  const all = res.headers.getSetCookie();
  const line = all.find((l) => l.startsWith(`${name}=`));
  return line?.split(';')[0];
}

/** New sessions for every fixture user (after a test moved the clock past their expiry). */
export async function renewSessions(f: Fixture): Promise<void> {
  for (const [k, u] of Object.entries(f.users) as [keyof Fixture['users'], UserRecord][]) {
    const s = await createSession(f.ctx, u.id, { twoFactorVerified: true });
    f.cookies[k] = `kb_session=${s.token}`;
    f.csrf[k] = s.session.csrfToken;
  }
}
