// Writes rated invoices for one batch in the caller's transaction: replaces drafts, inserts new ones (the unique
// (tenant, period) constraint settles concurrent runs), leaves anything finalized alone, optionally finalizes.
import { rows, sql, type Db } from '../../db/client.ts';
import type { RatedInvoice } from '../rating/types.ts';
import { reserveNumbers, seriesFor } from './numbering.ts';

export interface WriteOptions {
  finalize: boolean;
  now: Date;
  dueDays: number;
  prefix: string;
}

export interface WriteResult {
  created: number;
  replaced: number;
  /** Already finalized (or later): untouched. */
  kept: number;
  /** Inserted concurrently by another run while we rated: untouched. */
  skipped: number;
  /** Drafts deleted because the tenant has nothing to bill any more. */
  removed: number;
  /** Invoice ids written, by tenant id. */
  written: Map<string, string>;
  numbers: string[];
}

const CHUNK = 4000;
const iso = (d: Date) => d.toISOString();

export async function writeRatedInvoices(tx: Db, batchTenantIds: ReadonlyArray<string>, periodLabel: string, rated: ReadonlyArray<RatedInvoice>, opts: WriteOptions): Promise<WriteResult> {
  const res: WriteResult = { created: 0, replaced: 0, kept: 0, skipped: 0, removed: 0, written: new Map(), numbers: [] };
  if (batchTenantIds.length === 0) return res;
  const existing = await rows<{ id: string; tenant_id: string; status: string }>(
    tx,
    sql`select id::text as id, tenant_id::text as tenant_id, status from invoices
        where tenant_id = any(${`{${batchTenantIds.join(',')}}`}::uuid[]) and period = ${periodLabel}
        order by tenant_id for update`,
  );
  const byTenant = new Map(existing.map((e) => [e.tenant_id, e]));
  const ratedTenants = new Set(rated.map((r) => r.tenantId));
  const staleDrafts = existing.filter((e) => e.status === 'draft' && !ratedTenants.has(e.tenant_id)).map((e) => e.id);
  const drafts = existing.filter((e) => e.status === 'draft' && ratedTenants.has(e.tenant_id));
  res.kept = existing.filter((e) => e.status !== 'draft' && ratedTenants.has(e.tenant_id)).length;
  const clear = [...staleDrafts, ...drafts.map((d) => d.id)];
  if (clear.length) {
    const ids = `{${clear.join(',')}}`;
    await rows(tx, sql`delete from invoice_lines where invoice_id = any(${ids}::uuid[])`);
    await rows(tx, sql`delete from invoice_usage where invoice_id = any(${ids}::uuid[])`);
  }
  if (staleDrafts.length) {
    await rows(tx, sql`delete from invoices where id = any(${`{${staleDrafts.join(',')}}`}::uuid[]) and status = 'draft'`);
    res.removed = staleDrafts.length;
  }
  const header = (r: RatedInvoice) => ({
    tenant_id: r.tenantId, period: periodLabel, period_start: iso(r.period.start), period_end: iso(r.period.end), currency: r.currency,
    subtotal: r.subtotal.toString(), tax: r.tax.toString(), total: r.total.toString(), tax_rate_percent: r.taxRatePercent, tax_inclusive: r.taxInclusive,
  });
  const draftIds = new Map(drafts.map((d) => [d.tenant_id, d.id]));
  const toUpdate = rated.filter((r) => draftIds.has(r.tenantId)).map((r) => ({ id: draftIds.get(r.tenantId)!, ...header(r) }));
  if (toUpdate.length) {
    await rows(
      tx,
      sql`update invoices i set currency = x.currency, subtotal = x.subtotal, tax = x.tax, total = x.total,
            tax_rate_percent = x.tax_rate_percent, tax_inclusive = x.tax_inclusive, updated_at = ${iso(opts.now)}::timestamptz
          from json_to_recordset(${JSON.stringify(toUpdate)}::json) as x(id uuid, currency text, subtotal bigint, tax bigint, total bigint, tax_rate_percent numeric, tax_inclusive boolean)
          where i.id = x.id and i.status = 'draft'`,
    );
    for (const u of toUpdate) res.written.set(u.tenant_id, u.id);
    res.replaced = toUpdate.length;
  }
  const toInsert = rated.filter((r) => !byTenant.has(r.tenantId)).map(header);
  if (toInsert.length) {
    const ins = await rows<{ id: string; tenant_id: string }>(
      tx,
      sql`insert into invoices (tenant_id, period, period_start, period_end, currency, subtotal, tax, total, tax_rate_percent, tax_inclusive, created_at, updated_at)
          select x.tenant_id, x.period, x.period_start, x.period_end, x.currency, x.subtotal, x.tax, x.total, x.tax_rate_percent, x.tax_inclusive,
                 ${iso(opts.now)}::timestamptz, ${iso(opts.now)}::timestamptz
          from json_to_recordset(${JSON.stringify(toInsert)}::json) as x(tenant_id uuid, period text, period_start timestamptz, period_end timestamptz,
               currency text, subtotal bigint, tax bigint, total bigint, tax_rate_percent numeric, tax_inclusive boolean)
          order by x.tenant_id
          on conflict (tenant_id, period_start) do nothing
          returning id::text as id, tenant_id::text as tenant_id`,
    );
    for (const r of ins) res.written.set(r.tenant_id, r.id);
    res.created = ins.length;
    res.skipped = toInsert.length - ins.length;
  }

  const lineRows: object[] = [];
  const usageRows: object[] = [];
  for (const r of rated) {
    const id = res.written.get(r.tenantId);
    if (!id) continue;
    r.lines.forEach((l, i) =>
      lineRows.push({
        invoice_id: id, position: i + 1, kind: l.kind, vm_uuid: l.vmUuid, vm_name: l.vmName, component: l.component, description: l.description,
        quantity: l.quantity.round(6).toString(), unit: l.unit, unit_price: l.unitPrice.round(12).toString(), amount: l.amount.toString(),
        range_start: iso(l.rangeStart), range_end: iso(l.rangeEnd),
      }),
    );
    for (const u of r.usage) {
      usageRows.push({
        invoice_id: id, source_period_start: iso(u.sourcePeriodStart), assignment_id: u.assignmentId, vm_uuid: u.vmUuid, component: u.component,
        range_start: iso(u.rangeStart), range_end: iso(u.rangeEnd), raw_quantity: u.rawQuantity.toString(),
      });
    }
  }
  for (let i = 0; i < lineRows.length; i += CHUNK) {
    await rows(
      tx,
      sql`insert into invoice_lines (invoice_id, position, kind, vm_uuid, vm_name, component, description, quantity, unit, unit_price, amount, range_start, range_end)
          select * from json_to_recordset(${JSON.stringify(lineRows.slice(i, i + CHUNK))}::json) as x(invoice_id uuid, position int, kind text, vm_uuid uuid,
               vm_name text, component text, description text, quantity numeric, unit text, unit_price numeric, amount bigint, range_start timestamptz, range_end timestamptz)`,
    );
  }
  for (let i = 0; i < usageRows.length; i += CHUNK) {
    await rows(
      tx,
      sql`insert into invoice_usage (invoice_id, source_period_start, assignment_id, vm_uuid, component, range_start, range_end, raw_quantity)
          select * from json_to_recordset(${JSON.stringify(usageRows.slice(i, i + CHUNK))}::json) as x(invoice_id uuid, source_period_start timestamptz,
               assignment_id uuid, vm_uuid uuid, component text, range_start timestamptz, range_end timestamptz, raw_quantity numeric)`,
    );
  }
  if (opts.finalize && res.written.size) {
    const ids = [...res.written.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, id]) => id);
    res.numbers = await finalizeMany(tx, ids, opts);
  }
  return res;
}

/** Finalize draft invoices in the given order with consecutive numbers (same transaction as the reservation). */
export async function finalizeMany(tx: Db, invoiceIds: ReadonlyArray<string>, opts: Pick<WriteOptions, 'now' | 'dueDays' | 'prefix'>): Promise<string[]> {
  const series = seriesFor(opts.prefix, opts.now);
  const numbers = await reserveNumbers(tx, series, invoiceIds.length);
  const due = new Date(opts.now.getTime() + opts.dueDays * 86_400_000);
  const payload = invoiceIds.map((id, i) => ({ id, number: numbers[i] }));
  const done = await rows<{ id: string }>(
    tx,
    sql`update invoices i set status = 'finalized', series = ${series}, number = x.number, finalized_at = ${iso(opts.now)}::timestamptz,
          due_at = ${iso(due)}::timestamptz, updated_at = ${iso(opts.now)}::timestamptz
        from json_to_recordset(${JSON.stringify(payload)}::json) as x(id uuid, number text)
        where i.id = x.id and i.status = 'draft'
        returning i.id::text as id`,
  );
  if (done.length !== invoiceIds.length) {
    // Rolling back returns the reserved numbers: no gap.
    throw new Error(`finalize: ${invoiceIds.length - done.length} of ${invoiceIds.length} invoices were no longer drafts`);
  }
  return numbers;
}
