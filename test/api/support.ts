// Set-up for API route tests: the portal's fixture (two tenants, VMs on a fake host, users with sessions)
// plus API tokens of every kind, issued invoices for both tenants and a draft, and a request helper.
import { expect } from 'vitest';
import { buildFixture, ORIGIN, type Fixture } from '../portal/support.ts';
import { createApiToken, revokeApiToken } from '../../src/auth/api-tokens.ts';
import { actorFromSession } from '../../src/portal/env.ts';
import { createDraft } from '../../src/billing/invoices/create-draft.ts';
import { finalizeInvoice } from '../../src/billing/invoices/finalize.ts';
import { createPlan } from '../../src/billing/catalogue/plans.ts';
import { assignVm } from '../../src/billing/catalogue/assign-vm.ts';
import { vms } from '../../src/db/schema/hosts.ts';
import type { TestDatabase } from '../support/db.ts';

export { ORIGIN };

export const TOKEN_KINDS = ['ownerA', 'readOnlyA', 'vmLimitedA', 'revokedA', 'ownerB', 'operator', 'operatorReadOnly'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

export interface ApiFixture extends Fixture {
  tokens: Record<TokenKind, string>;
  tokenIds: Record<TokenKind, string>;
  /** Finalized invoices of tenant A and B (period 2026-02), and tenant A's draft for 2026-03. */
  invoiceA: string;
  invoiceB: string;
  draftA: string;
}

export async function buildApiFixture(database: TestDatabase, opts: { tenantAName?: string; vmAName?: string } = {}): Promise<ApiFixture> {
  const f = await buildFixture(database, opts);
  const { ctx, users } = f;
  const tokens = {} as Record<TokenKind, string>;
  const tokenIds = {} as Record<TokenKind, string>;
  const mint = async (kind: TokenKind, who: keyof Fixture['users'], extra: { vmUuid?: string; readOnly?: boolean } = {}) => {
    const r = await createApiToken(ctx, actorFromSession(users[who]), { name: kind, ...extra });
    tokens[kind] = r.token;
    tokenIds[kind] = r.record.id;
  };
  await mint('ownerA', 'ownerA');
  await mint('readOnlyA', 'ownerA', { readOnly: true });
  await mint('vmLimitedA', 'ownerA', { vmUuid: f.vmA });
  await mint('revokedA', 'ownerA');
  await revokeApiToken(ctx, actorFromSession(users.ownerA), tokenIds.revokedA);
  await mint('ownerB', 'ownerB');
  await mint('operator', 'operator');
  await mint('operatorReadOnly', 'operator', { readOnly: true });

  // February: the VMs were already assigned (from 2026-02-01) — an issued invoice per tenant; March stays a draft.
  const plan = await createPlan(ctx, { name: 'legacy', currency: 'EUR', basePrice: 300n });
  const feb = new Date('2026-02-01T00:00:00Z');
  const vmFeb = '44444444-4444-4444-8444-444444444444';
  const vmFebB = '55555555-5555-4555-8555-555555555555';
  for (const [uuid, tenantId] of [[vmFeb, f.tenantA.id], [vmFebB, f.tenantB.id]] as const) {
    await ctx.db.insert(vms).values({ uuid, name: `old-${uuid.slice(0, 4)}`, hostId: f.host.id, state: 'shutdown', firstSeenAt: feb, lastSeenAt: feb });
    await assignVm(ctx, { vmUuid: uuid, tenantId, planId: plan.id, from: feb });
  }
  const invA = await createDraft(ctx, { tenantId: f.tenantA.id, period: '2026-02' });
  const invB = await createDraft(ctx, { tenantId: f.tenantB.id, period: '2026-02' });
  await finalizeInvoice(ctx, { invoiceId: invA.id });
  await finalizeInvoice(ctx, { invoiceId: invB.id });
  const draft = await createDraft(ctx, { tenantId: f.tenantA.id, period: '2026-03' });
  return { ...f, tokens, tokenIds, invoiceA: invA.id, invoiceB: invB.id, draftA: draft.id };
}

export interface ApiReq {
  method?: string;
  token?: string;
  /** Raw Authorization header (overrides token). */
  authorization?: string;
  cookie?: string;
  csrf?: string;
  origin?: string | null;
  json?: unknown;
  body?: string;
  contentType?: string;
}

export async function api(app: Fixture['app'], path: string, o: ApiReq = {}): Promise<Response> {
  const method = o.method ?? (o.json !== undefined || o.body !== undefined ? 'POST' : 'GET');
  const headers: Record<string, string> = {};
  if (o.authorization !== undefined) headers.authorization = o.authorization;
  else if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.cookie) headers.cookie = o.cookie;
  if (o.csrf) headers['x-csrf-token'] = o.csrf;
  if (o.origin) headers.origin = o.origin;
  let body: string | undefined = o.body;
  if (o.json !== undefined) body = JSON.stringify(o.json);
  if (body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
  return app.request(`${ORIGIN}${path}`, { method, headers, body }, { incoming: { socket: { remoteAddress: '127.0.0.7' } } });
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  errors?: { in: string; field: string; message: string }[];
}

/** Asserts the RFC 9457 shape and returns the body. */
export async function expectProblem(res: Response, status: number): Promise<ProblemBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const p = (await res.json()) as ProblemBody;
  expect(p.status).toBe(status);
  expect(p.type).toMatch(/^\/api\/docs#problem-[a-z-]+$/);
  expect(typeof p.title).toBe('string');
  expect(p.title.length).toBeGreaterThan(0);
  expect(typeof p.detail).toBe('string');
  expect(p.instance.startsWith('/api/')).toBe(true);
  expect(p.requestId).toBe(res.headers.get('x-request-id'));
  return p;
}
