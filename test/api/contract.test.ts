// The API's contract: one problem+json format (validation naming the field, 500 without internals, unknown
// routes), the OpenAPI document (valid OpenAPI 3, every route present) and the reference page (every
// operation listed, content escaped).
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { api, buildApiFixture, expectProblem, type ApiFixture } from './support.ts';
import { createApp } from '../../src/app.ts';
import { renderDocsPage } from '../../src/api/docs-page.ts';
import type { OpenApiDocument } from '../../src/api/openapi.ts';

let db: TestDatabase;
let f: ApiFixture;
const logged: string[] = [];
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  db = await createTestDatabase();
  f = await buildApiFixture(db);
  const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (logged.push(chunk.toString()), cb()) });
  app = createApp({ ...f.ctx, log: pino({ level: 'info' }, sink) });
});
afterAll(async () => db?.close());

const EXPECTED_OPERATIONS = [
  'get /api/v1/vms',
  'get /api/v1/vms/{id}',
  'post /api/v1/vms/{id}/start',
  'post /api/v1/vms/{id}/shutdown',
  'post /api/v1/vms/{id}/reboot',
  'post /api/v1/vms/{id}/destroy',
  'get /api/v1/vms/{id}/usage',
  'get /api/v1/invoices',
  'get /api/v1/invoices/{id}',
  'get /api/v1/invoices/{id}/pdf',
  'get /api/v1/tokens',
  'post /api/v1/tokens',
  'delete /api/v1/tokens/{id}',
  'get /api/v1/hosts',
  'post /api/v1/hosts',
  'delete /api/v1/hosts/{id}',
  'get /api/v1/tenants',
  'post /api/v1/tenants/{id}/suspend',
  'post /api/v1/tenants/{id}/unsuspend',
  'get /api/v1/payment-method',
  'delete /api/v1/payment-method',
  'post /api/v1/payment-method/autopay',
  'post /api/v1/payment-method/setup',
];

describe('problem+json', () => {
  it('names the invalid field: path, query and body', async () => {
    const path = await expectProblem(await api(f.app, '/api/v1/vms/not-a-uuid', { token: f.tokens.ownerA }), 400);
    expect(path.type).toBe('/api/docs#problem-invalid-request');
    expect(path.errors).toEqual([{ in: 'path', field: 'id', message: 'VM ids are UUIDs' }]);
    expect(path.detail).toContain('id');

    const query = await expectProblem(await api(f.app, `/api/v1/vms/${f.vmA}/usage?range=1y&meter=cpu`, { token: f.tokens.ownerA }), 400);
    expect(query.errors?.map((e) => `${e.in}:${e.field}`).sort()).toEqual(['query:meter', 'query:range']);

    const body = await expectProblem(await api(f.app, '/api/v1/tokens', { cookie: f.cookies.ownerA, csrf: f.csrf.ownerA, origin: 'http://localhost', json: { name: '', readOnly: 'yes' } }), 400);
    expect(body.errors?.map((e) => `${e.in}:${e.field}`).sort()).toEqual(['body:name', 'body:readOnly']);
    expect(body.errors?.find((e) => e.field === 'name')?.message).toBe('give the token a name');

    const hostBody = await expectProblem(await api(f.app, '/api/v1/hosts', { token: f.tokens.operator, json: { name: 'bad name!', adapter: 'xen' } }), 400);
    expect(hostBody.errors?.map((e) => e.field).sort()).toEqual(['adapter', 'name']);
  });

  it('answers a body that is not JSON with 415 or 400, never 500', async () => {
    await expectProblem(await api(f.app, '/api/v1/hosts', { token: f.tokens.operator, body: 'name=x', contentType: 'application/x-www-form-urlencoded' }), 415);
    const broken = await api(f.app, '/api/v1/hosts', { token: f.tokens.operator, body: '{"name": ' });
    await expectProblem(broken, 400);
  });

  it('checks credentials before validating, so anonymous callers learn nothing', async () => {
    const p = await expectProblem(await api(f.app, '/api/v1/vms/not-a-uuid'), 401);
    expect(p.type).toBe('/api/docs#problem-unauthenticated');
  });

  it('never leaks an internal error message; logs it with the request id', async () => {
    const original = f.hosts.adapter.power.bind(f.hosts.adapter);
    f.hosts.adapter.power = async () => {
      throw new Error('pg: password authentication failed for user "billing" at 10.1.2.3');
    };
    try {
      const res = await api(app, `/api/v1/vms/${f.vmA}/reboot`, { method: 'POST', token: f.tokens.ownerA });
      const text = await res.clone().text();
      const p = await expectProblem(res, 500);
      expect(text).not.toContain('password');
      expect(text).not.toContain('10.1.2.3');
      expect(p.detail).toContain('requestId');
      const line = logged.find((l) => l.includes(p.requestId));
      expect(line).toBeDefined();
      expect(line).toContain('password authentication failed');
    } finally {
      f.hosts.adapter.power = original;
    }
  });

  it('answers unknown API paths with a 404 problem', async () => {
    const p = await expectProblem(await api(f.app, '/api/v1/nothing-here', { token: f.tokens.ownerA }), 404);
    expect(p.detail).toContain('/api/v1/nothing-here');
    await expectProblem(await api(f.app, '/api/v2/vms'), 404);
  });
});

describe('OpenAPI document', () => {
  let doc: OpenApiDocument & { paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters?: { name: string; in: string }[] }>> };
  beforeAll(async () => {
    const res = await api(f.app, '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = JSON.parse(await res.text()) as typeof doc;
  });

  it('has the required OpenAPI 3 fields', () => {
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(typeof doc.info.title).toBe('string');
    expect(typeof doc.info.version).toBe('string');
    expect(typeof doc.paths).toBe('object');
    expect(doc.components?.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearer: [] }, { session: [] }]);
    // Every operation has responses; every path parameter is declared required; every $ref resolves.
    const text = JSON.stringify(doc);
    for (const ref of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) expect(doc.components?.schemas?.[ref[1]], ref[1]).toBeDefined();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [, op] of Object.entries(item)) {
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        for (const name of path.matchAll(/\{(\w+)\}/g)) {
          const param = op.parameters?.find((p) => p.name === name[1] && p.in === 'path') as { required?: boolean } | undefined;
          expect(param?.required, `${path} ${name[1]}`).toBe(true);
        }
      }
    }
  });

  it('lists every route and nothing else', () => {
    const ops = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m} /api${p}`));
    expect(ops.sort()).toEqual([...EXPECTED_OPERATIONS].sort());
  });

  it('documents problem responses and the 200 shapes', () => {
    const get = doc.paths['/v1/vms/{id}'].get!;
    expect(Object.keys(get.responses).sort()).toEqual(['200', '400', '401', '404', '500']);
    expect(JSON.stringify(get.responses['404'])).toContain('application/problem+json');
    expect(doc.components?.schemas?.Problem).toBeDefined();
  });
});

describe('reference page', () => {
  it('lists every operation, parameter and response, with no external scripts', async () => {
    const res = await api(f.app, '/api/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    for (const op of EXPECTED_OPERATIONS) {
      const [method, path] = op.split(' ');
      expect(html, op).toContain(`<span class="method ${method}">${method.toUpperCase()}</span> <code class="path">${path}</code>`);
    }
    expect(html).toContain('<code>meter</code>');
    expect(html).toContain('<code>range</code>');
    expect(html).toContain('id="problem-not-found"');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\/(?!localhost)[^"'\s<]*\.(js|css)/);
    const css = await api(f.app, '/api/docs.css');
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('escapes everything taken from the document', () => {
    const evil = '<script>alert(1)</script>';
    const doc = {
      openapi: '3.0.3',
      info: { title: `API ${evil}`, version: '"><img src=x onerror=alert(1)>', description: evil },
      paths: {
        '/v1/x/{id}': {
          get: {
            summary: evil,
            description: `a & b ${evil}`,
            parameters: [{ name: `id${evil}`, in: 'path', required: true, schema: { type: 'string', enum: [evil] } }],
            responses: { '200': { description: evil, content: { 'application/json': { schema: { $ref: `#/components/schemas/${evil}` } } } } },
          },
        },
      },
      components: { schemas: { [evil]: { type: 'object', description: evil, properties: { [evil]: { type: 'string', description: evil } } } } },
    } as unknown as OpenApiDocument;
    const html = renderDocsPage(doc, '/api/docs.css');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('a &amp; b');
  });
});
