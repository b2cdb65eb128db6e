// What the database itself enforces on invoices: frozen content after finalization, forward-only status,
// no deletion of issued invoices, immutable credit notes with their own gapless series.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { rows, sql } from '../../src/db/client.ts';
import {
  assignVm, createCreditNote, createDraft, finalizeInvoice, getInvoice, markPaid, markUncollectible, voidInvoice, type InvoiceWithLines,
} from '../../src/billing/index.ts';
import { ctxFor, dbError, fillHours, GIB, makeVm, MARCH, plan, tenant } from './fixtures.ts';

describe('invoice immutability and lifecycle (both databases)', () => {
  let t: TestDatabase;
  let n = 0;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t.close());

  async function finalized(): Promise<InvoiceWithLines> {
    const ctx = ctxFor(t.db);
    const ten = await tenant(ctx, { taxRatePercent: '20' });
    const p = await plan(ctx, { basePrice: 1000n, components: [{ component: 'network_in_gib', tiers: [{ upTo: null, unitPrice: '0.01' }] }] });
    const vm = await makeVm(t.db, `imm-${n++}`);
    await assignVm(ctx, { vmUuid: vm, tenantId: ten.id, planId: p.id, from: new Date(MARCH.from) });
    await fillHours(t.db, vm, MARCH.from, MARCH.to, { netRxBytes: GIB });
    const d = await createDraft(ctx, { tenantId: ten.id, period: '2026-03' });
    await finalizeInvoice(ctx, { invoiceId: d.id });
    return getInvoice(ctx, d.id);
  }

  it('a raw UPDATE, INSERT or DELETE on a finalized invoice line fails', async () => {
    const inv = await finalized();
    const line = inv.lines[0];
    expect(await dbError(rows(t.db, sql`update invoice_lines set amount = 1 where id = ${line.id.toString()}::bigint`))).toMatch(/immutable/);
    expect(await dbError(rows(t.db, sql`update invoice_lines set description = 'x' where id = ${line.id.toString()}::bigint`))).toMatch(/immutable/);
    expect(await dbError(rows(t.db, sql`delete from invoice_lines where invoice_id = ${inv.id}::uuid`))).toMatch(/immutable/);
    expect(
      await dbError(rows(t.db, sql`insert into invoice_lines (invoice_id, position, kind, description, quantity, unit, unit_price, amount, range_start, range_end)
                                   values (${inv.id}::uuid, 99, 'usage', 'sneaky', 1, 'h', 1, 100, now(), now())`)),
    ).toMatch(/immutable/);
    expect(await dbError(rows(t.db, sql`update invoice_usage set raw_quantity = 0 where invoice_id = ${inv.id}::uuid`))).toMatch(/immutable/);
    const again = await getInvoice(ctxFor(t.db), inv.id);
    expect(again.lines).toEqual(inv.lines);
  });

  it('a raw UPDATE of amounts or number, a DELETE, or a status going backwards fails', async () => {
    const inv = await finalized();
    expect(await dbError(rows(t.db, sql`update invoices set total = total + 1, subtotal = subtotal + 1 where id = ${inv.id}::uuid`))).toMatch(/immutable/);
    expect(await dbError(rows(t.db, sql`update invoices set number = 'KZ-2026-999999' where id = ${inv.id}::uuid`))).toMatch(/immutable/);
    expect(await dbError(rows(t.db, sql`delete from invoices where id = ${inv.id}::uuid`))).toMatch(/cannot be deleted/);
    expect(await dbError(rows(t.db, sql`update invoices set status = 'draft', number = null where id = ${inv.id}::uuid`))).toMatch(/cannot go from finalized to draft/);
    await markPaid(ctxFor(t.db), { invoiceId: inv.id, paymentRef: 'pi_123' });
    expect(await dbError(rows(t.db, sql`update invoices set status = 'finalized' where id = ${inv.id}::uuid`))).toMatch(/cannot go from paid to finalized/);
    expect(await dbError(rows(t.db, sql`update invoices set status = 'void' where id = ${inv.id}::uuid`))).toMatch(/cannot go from paid to void/);
  });

  it('refuses to finalize when lines do not sum to the subtotal (database check)', async () => {
    const ctx = ctxFor(t.db);
    const ten = await tenant(ctx);
    const p = await plan(ctx, { basePrice: 700n });
    const vm = await makeVm(t.db, 'sum-check');
    await assignVm(ctx, { vmUuid: vm, tenantId: ten.id, planId: p.id, from: new Date(MARCH.from) });
    const d = await createDraft(ctx, { tenantId: ten.id, period: '2026-03' });
    await rows(t.db, sql`update invoice_lines set amount = amount + 1 where invoice_id = ${d.id}::uuid`);
    expect(await dbError(rows(t.db, sql`update invoices set status = 'finalized', number = 'X-1' where id = ${d.id}::uuid`))).toMatch(/lines sum to 701 but subtotal is 700/);
  });

  it('status moves forward through the verbs only', async () => {
    const ctx = ctxFor(t.db);
    const a = await finalized();
    const u = await markUncollectible(ctx, { invoiceId: a.id, reason: 'dunning exhausted' });
    expect(u.status).toBe('uncollectible');
    expect((await markPaid(ctx, { invoiceId: a.id })).status).toBe('paid');
    await expect(voidInvoice(ctx, { invoiceId: a.id })).rejects.toMatchObject({ code: 'InvalidTransition' });
    const b = await finalized();
    expect((await voidInvoice(ctx, { invoiceId: b.id, reason: 'issued in error' })).status).toBe('void');
    await expect(markPaid(ctx, { invoiceId: b.id })).rejects.toMatchObject({ code: 'InvalidTransition' });
  });

  it('credit notes correct a finalized invoice with their own gapless series and are immutable', async () => {
    const ctx = ctxFor(t.db);
    const inv = await finalized();
    // subtotal 1000 + 744 × 0.01 = 17.44 → 1744; tax 20 % = 349 (348.8); total 2093
    expect([inv.subtotal, inv.tax, inv.total]).toEqual([1744n, 349n, 2093n]);
    const c1 = await createCreditNote(ctx, { invoiceId: inv.id, amount: 1200n, reason: 'outage credit' });
    const c2 = await createCreditNote(ctx, { invoiceId: inv.id, amount: 893n, reason: 'goodwill' });
    expect([c1.number, c2.number]).toEqual(['KZC-2026-000001', 'KZC-2026-000002']);
    expect([c1.tax, c1.subtotal]).toEqual([200n, 1000n]); // 1200 × 349/2093 = 200.1 → 200
    await expect(createCreditNote(ctx, { invoiceId: inv.id, amount: 1n, reason: 'too much' })).rejects.toThrow(/0.00 EUR left to credit/);
    expect(await dbError(rows(t.db, sql`update credit_notes set total = 1 where id = ${c1.id}::uuid`))).toMatch(/immutable/);
    expect(await dbError(rows(t.db, sql`delete from credit_notes where id = ${c1.id}::uuid`))).toMatch(/immutable/);
    const { id: draftId } = await createDraftFor();
    await expect(createCreditNote(ctx, { invoiceId: draftId, amount: 1n, reason: 'x' })).rejects.toMatchObject({ code: 'InvalidTransition' });
  });

  async function createDraftFor() {
    const ctx = ctxFor(t.db);
    const ten = await tenant(ctx);
    const p = await plan(ctx, { basePrice: 100n });
    const vm = await makeVm(t.db, 'draft-only');
    await assignVm(ctx, { vmUuid: vm, tenantId: ten.id, planId: p.id, from: new Date(MARCH.from) });
    return createDraft(ctx, { tenantId: ten.id, period: '2026-03' });
  }
});
