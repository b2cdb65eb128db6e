// Invoice pages: list, detail with the billing HTML in a sandboxed frame, PDF, pay without a provider,
// and refusals for other tenants, drafts, stale and missing sessions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { buildFixture, req, type Fixture } from './support.ts';
import { runInvoicePeriod, createDraft } from '../../src/billing/index.ts';
import { eq } from 'drizzle-orm';
import { dunningEvents, payments } from '../../src/db/schema/payments.ts';

let database: TestDatabase;
let f: Fixture;
let invoiceA: string;
let draftB: string;

beforeAll(async () => {
  database = await createTestDatabase();
  f = await buildFixture(database);
  f.clock.set(new Date('2026-04-02T00:00:00Z'));
  const run = await runInvoicePeriod(f.ctx, { period: '2026-03', tenantId: f.tenantA.id, finalize: true });
  expect(run.numbers).toHaveLength(1);
  invoiceA = (await import('../../src/billing/index.ts').then((m) => m.listInvoices(f.ctx, { tenantId: f.tenantA.id })))[0].id;
  draftB = (await createDraft(f.ctx, { tenantId: f.tenantB.id, period: '2026-03' })).id;
});
afterAll(async () => database?.close());

describe('invoice pages', () => {
  it('lists the tenant’s finalized invoices, not drafts, not other tenants’', async () => {
    const html = await (await req(f.app, '/invoices', { cookie: f.cookies.ownerA })).text();
    expect(html).toContain(`data-invoice="${invoiceA}"`);
    expect(html).toMatch(/KZ-2026-\d{6}/);
    const b = await (await req(f.app, '/invoices', { cookie: f.cookies.ownerB })).text();
    expect(b).not.toContain(invoiceA);
    expect(b).not.toContain(draftB);
  });

  it('shows the detail with the billing HTML in a sandboxed frame that has its own CSP', async () => {
    const html = await (await req(f.app, `/invoices/${invoiceA}`, { cookie: f.cookies.memberA })).text();
    expect(html).toContain(`<iframe class="invoice" src="/invoices/${invoiceA}/html"`);
    expect(html).toContain('sandbox=""');
    const frame = await req(f.app, `/invoices/${invoiceA}/html`, { cookie: f.cookies.memberA });
    expect(frame.status).toBe(200);
    expect(frame.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
    expect(frame.headers.get('content-security-policy')).not.toContain('script-src');
    expect(await frame.text()).toContain('Acme');
  });

  it('shows the payment history: failed autopay with its reason (escaped), a capture and its refund', async () => {
    const base = { invoiceId: invoiceA, tenantId: f.tenantA.id, provider: 'stripe', amount: 1234n, currency: 'USD' };
    await f.ctx.db.insert(payments).values([
      { ...base, method: 'off_session', attempt: 1, status: 'failed', failureReason: 'card <declined>', idempotencyKey: `inv_${invoiceA}_attempt_1`, createdAt: new Date('2026-04-02T01:00:00Z') },
      { ...base, method: 'checkout', attempt: 1, status: 'succeeded', refundedAmount: 234n, idempotencyKey: `inv_${invoiceA}_checkout_1`, createdAt: new Date('2026-04-02T02:00:00Z'), capturedAt: new Date('2026-04-02T02:01:00Z') },
    ]);
    const html = await (await req(f.app, `/invoices/${invoiceA}`, { cookie: f.cookies.memberA })).text();
    const table = html.slice(html.indexOf('<table id="payments">'), html.indexOf('</table>', html.indexOf('<table id="payments">')));
    expect(table).toContain('autopay');
    expect(table).toContain('card &lt;declined&gt;');
    expect(table).not.toContain('<declined>');
    expect(table).toMatch(/succeeded<\/td><td>[^<]*12\.34[^<]*<\/td><td>[^<]*2\.34/);
    const other = await (await req(f.app, `/invoices/${invoiceA}`, { cookie: f.cookies.ownerB })).text();
    expect(other).not.toContain('card &lt;declined&gt;');
    // The rows were made up for this page only: the invoice stays unpaid for the tests that follow.
    await f.ctx.db.delete(payments).where(eq(payments.invoiceId, invoiceA));
  });

  it('shows the tenant its collection log (escaped), on the invoice and on the list; other tenants see none of it', async () => {
    await f.ctx.db.insert(dunningEvents).values([
      { tenantId: f.tenantA.id, invoiceId: invoiceA, at: new Date('2026-04-20T00:00:00Z'), kind: 'past_due', message: 'Invoice is past due <b>now</b>', dedupeKey: `t:past_due:${invoiceA}` },
      { tenantId: f.tenantA.id, invoiceId: null, at: new Date('2026-04-25T00:00:00Z'), kind: 'suspended', message: 'VMs shut down until paid', dedupeKey: `t:suspended:${f.tenantA.id}` },
    ]);
    const detail = await (await req(f.app, `/invoices/${invoiceA}`, { cookie: f.cookies.memberA })).text();
    const table = detail.slice(detail.indexOf('<table id="collection">'));
    expect(table).toContain('Invoice is past due &lt;b&gt;now&lt;/b&gt;');
    expect(table).not.toContain('VMs shut down'); // tenant-wide steps belong on the list page
    const list = await (await req(f.app, '/invoices', { cookie: f.cookies.ownerA })).text();
    expect(list).toContain('data-kind="past_due"');
    expect(list).toContain('VMs shut down until paid');
    expect(list.indexOf('VMs shut down')).toBeLessThan(list.indexOf('past due &lt;b&gt;')); // newest first
    const other = await (await req(f.app, '/invoices', { cookie: f.cookies.ownerB })).text();
    expect(other).not.toContain('id="collection"');
    await f.ctx.db.delete(dunningEvents).where(eq(dunningEvents.tenantId, f.tenantA.id));
  });

  it('serves the PDF', async () => {
    const res = await req(f.app, `/invoices/${invoiceA}/pdf`, { cookie: f.cookies.ownerA });
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe('%PDF-');
  });

  it('explains when no payment provider is configured', async () => {
    const res = await req(f.app, `/invoices/${invoiceA}/pay`, { cookie: f.cookies.ownerA, form: { _csrf: f.csrf.ownerA } });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('not configured');
  });

  it('refuses other tenants, drafts for tenants, stale and missing sessions', async () => {
    for (const path of [`/invoices/${invoiceA}`, `/invoices/${invoiceA}/html`, `/invoices/${invoiceA}/pdf`]) {
      const other = await req(f.app, path, { cookie: f.cookies.ownerB });
      expect(other.status, path).toBe(404);
      expect(await other.text()).not.toContain('KZ-2026');
      const none = await req(f.app, path);
      expect(none.status).toBe(302);
    }
    expect((await req(f.app, `/invoices/${invoiceA}/pay`, { cookie: f.cookies.ownerB, form: { _csrf: f.csrf.ownerB } })).status).toBe(404);
    expect((await req(f.app, `/invoices/${draftB}`, { cookie: f.cookies.ownerB })).status).toBe(404);
    expect((await req(f.app, `/invoices/${draftB}`, { cookie: f.cookies.operator })).status).toBe(200);
  });

  it('forwards the payments module’s return URL to the invoice page', async () => {
    const res = await req(f.app, `/portal/invoices/${invoiceA}?payment=succeeded`, { cookie: f.cookies.ownerA });
    expect(res.headers.get('location')).toBe(`/invoices/${invoiceA}?payment=succeeded`);
  });
});
