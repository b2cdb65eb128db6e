// Rendering: one view model → escaped self-contained HTML and a PDF with the invoice number in its text.
import { loadConfig } from '../../src/config.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import {
  assignVm, buildInvoiceView, createDraft, finalizeInvoice, markPaid, renderInvoiceHtml, renderInvoicePdf, type InvoiceView,
} from '../../src/billing/index.ts';
import { ctxFor, fillHours, GIB, makeVm, MARCH, plan, tenant } from './fixtures.ts';

describe('invoice rendering (both databases)', () => {
  let t: TestDatabase;
  let view: InvoiceView;
  let number: string;
  const provider = loadConfig({ BILLING_PROVIDER_NAME: 'Kamikazi Hosting GmbH', BILLING_PROVIDER_ADDRESS: 'Hauptstr. 1\\n10115 Berlin', BILLING_PROVIDER_TAX_ID: 'DE123456789' }).billingProvider;

  beforeAll(async () => {
    t = await createTestDatabase();
    const ctx = ctxFor(t.db, '2026-03-31T23:30:00Z');
    const ten = await tenant(ctx, { company: '<script>alert("x")</script> & Co', billingAddress: '1 "Quote" St\n<b>Town</b>', timezone: 'Asia/Tokyo', taxRatePercent: '19' });
    const p = await plan(ctx, { name: 'vps <m>', basePrice: 1234n, components: [{ component: 'network_out_gib', included: '10', tiers: [{ upTo: null, unitPrice: '0.02' }] }] });
    const vm = await makeVm(t.db, 'web-<1>');
    await assignVm(ctx, { vmUuid: vm, tenantId: ten.id, planId: p.id, from: new Date(MARCH.from) });
    await fillHours(t.db, vm, MARCH.from, MARCH.to, { netTxBytes: GIB });
    const d = await createDraft(ctx, { tenantId: ten.id, period: '2026-03' });
    const f = await finalizeInvoice(ctx, { invoiceId: d.id });
    await markPaid(ctx, { invoiceId: d.id });
    number = f.number!;
    view = await buildInvoiceView(ctx, { invoiceId: d.id, provider });
  });
  afterAll(async () => t.close());

  it('builds the view model with money formatted and dates in the tenant timezone', () => {
    expect(view.number).toBe(number);
    expect(view.status).toBe('Paid');
    // Finalized 2026-03-31 23:30 UTC = 1 April in Tokyo; the period is shown in UTC days.
    expect(view.issued).toBe('1 Apr 2026');
    expect(view.period).toBe('1 Mar 2026 – 31 Mar 2026');
    expect(view.groups).toHaveLength(1);
    expect(view.groups[0].title).toBe('VM web-<1>');
    // 12.34 base + (744 − 10) GiB × 0.02 = 14.68 → 27.02; tax 19 % = 5.1338 → 5.13
    expect([view.subtotal, view.tax, view.total, view.taxLabel]).toEqual(['27.02', '5.13', '32.15', 'Tax 19%']);
    expect(view.provider.address).toBe('Hauptstr. 1\n10115 Berlin');
  });

  it('escapes every tenant-controlled string in the HTML', () => {
    const html = renderInvoiceHtml(view);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(html).toContain('1 &quot;Quote&quot; St<br>&lt;b&gt;Town&lt;/b&gt;');
    expect(html).toContain('VM web-&lt;1&gt;');
    expect(html).toContain('vps &lt;m&gt;');
    expect(html).toMatch(/^<!doctype html>/);
    const fragment = renderInvoiceHtml(view, { fragment: true });
    expect(fragment.startsWith('<article class="kz-invoice">')).toBe(true);
    expect(fragment).not.toMatch(/<script|<html|<link|src=/);
  });

  it('renders a PDF that starts with %PDF and carries the invoice number and totals', async () => {
    const pdf = await renderInvoicePdf(view, { compress: false });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const dir = mkdtempSync(join(tmpdir(), 'kz-pdf-'));
    try {
      const file = join(dir, 'invoice.pdf');
      writeFileSync(file, await renderInvoicePdf(view)); // compressed, as shipped
      const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
      expect(text).toContain(number);
      expect(text).toContain('32.15 EUR');
      expect(text).toContain('<script>alert("x")</script> & Co');
      expect(text).toContain('DE123456789');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
