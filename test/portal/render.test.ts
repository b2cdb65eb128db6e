// Pages render without hono/jsx's AsyncLocalStorage (render.ts): its first use switches on promise hooks for the
// whole process, which every request then pays for. Markup those elements need (<head>, <meta>, <title>, <link>,
// <script>, <svg>) is written as strings; this guards against JSX creeping back in.
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { buildFixture, req, type Fixture } from './support.ts';

let database: TestDatabase;
let f: Fixture;

beforeAll(async () => {
  database = await createTestDatabase();
  f = await buildFixture(database);
});
afterAll(async () => database?.close());

describe('rendering', () => {
  it('serves the main pages without entering an AsyncLocalStorage', async () => {
    const run = vi.spyOn(AsyncLocalStorage.prototype, 'run');
    const enter = vi.spyOn(AsyncLocalStorage.prototype, 'enterWith');
    try {
      const pages: [string, string][] = [
        ['/login', ''],
        ['/', f.cookies.ownerA],
        [`/vms/${f.vmA}`, f.cookies.ownerA],
        [`/vms/${f.vmA}/console`, f.cookies.ownerA],
        [`/vms/${f.vmA}/power/reboot`, f.cookies.ownerA],
        ['/account', f.cookies.ownerA],
        ['/invoices', f.cookies.ownerA],
        ['/audit', f.cookies.ownerA],
        ['/', f.cookies.operator],
        ['/ops/hosts', f.cookies.operator],
        ['/ops/tenants', f.cookies.operator],
        ['/ops/plans', f.cookies.operator],
        ['/vms/00000000-0000-4000-8000-000000000000', f.cookies.ownerA], // the error page
      ];
      for (const [path, cookie] of pages) {
        const res = await req(f.app, path, cookie ? { cookie } : {});
        expect(res.status, path).toBeLessThan(500);
        expect((await res.text()).startsWith('<!doctype html><html lang="en"><head>'), path).toBe(true);
        expect(run.mock.calls.length + enter.mock.calls.length, path).toBe(0);
      }
    } finally {
      run.mockRestore();
      enter.mockRestore();
    }
  });
});
