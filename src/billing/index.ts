// Public face of billing (money, catalogue, rating, invoices, rendering). Other modules import from here only.
//
// API SUMMARY (names are stable; payments/ledger/portal build against them)
// ---------------------------------------------------------------------------
// Context: every verb takes `ctx: BillingContext` = { db: Db; clock: Clock } (AppContext satisfies it);
//   verbs accept a transaction as ctx.db and then run inside it (transactions compose).
// Errors: `BillingError` with `code` in BillingErrorCode ('NotFound' | 'InvalidInput' | 'Conflict' |
//   'InvoiceNotDraft' | 'InvalidTransition' | 'CurrencyMismatch').
//
// Money (money.ts, decimal.ts)
//   type Money = { amount: bigint /* minor units */; currency: string /* ISO 4217 */ }
//   currencyExponent('JPY') = 0, ('USD') = 2, ('KWD') = 3;  money(amount, currency); formatMoney(m) -> '12.34 USD'
//   Decimal.parse('0.0012'), .add/.sub/.mul/.cmp/.isZero/.toString(), toMinorUnits(dec, currency) (half-even)
//   roundHalfEven(num: bigint, den: bigint): bigint;  allocate(total: bigint, weights: bigint[]): bigint[]
//
// Catalogue (schema src/db/schema/billing.ts: tenants, plans, vm_assignments)
//   createTenant(ctx, NewTenant) -> Tenant;  listTenants(ctx, {status?}) -> Tenant[];  getTenant(ctx, id) -> Tenant
//   suspendTenant(ctx, { tenantId, reason, stopVms?, by }) / unsuspendTenant(ctx, { tenantId, startVms?, by });
//   getTenantSuspension(db, tenantId) -> { reason, since } | null   (ctx also needs log, and hosts for VMs)
//   createPlan(ctx, NewPlan) -> Plan;  listPlans(ctx, {currency?}) -> Plan[];  getPlan(ctx, idOrName) -> Plan
//   assignVm(ctx, { vmUuid, tenantId, planId, from: Date }) -> Assignment   (closes the open one at `from`)
//   listAssignments(ctx, { tenantId?, vmUuid? }) -> Assignment[]
//   COMPONENTS: cpu_hours, vcpu_hours, memory_gib_hours, disk_read_gib, disk_write_gib, network_in_gib, network_out_gib
//   Tenant.taxRatePercent is an exact decimal string ('19', '7.7'); prices_include_tax selects inclusive tax.
//
// Periods: billingPeriod(billingDay, 'YYYY-MM') -> { start, end } — [YYYY-MM-day, next month-day) at 00:00 UTC.
//
// Rating / invoices (schema: invoices, invoice_lines, invoice_usage, invoice_number_counters, credit_notes, credit_note_lines)
//   runInvoicePeriod(ctx, { period: 'YYYY-MM', tenantId?, dryRun?, finalize?, lateUsageLookback? (1), batchSize? (500),
//                            collect?, onProgress? }) -> RunResult
//       rates every tenant (any status) with an assignment in its period; writes/replaces DRAFTS only; never touches
//       finalized invoices; dryRun returns the same RatedInvoice[] without writing. Safe to run concurrently
//       (unique (tenant, period_start) decides; numbers come from a counter row locked FOR UPDATE).
//   Late usage: hour buckets changed after a period was invoiced (up to `lateUsageLookback` periods back) are
//       re-priced with that period's plan and slices; the difference is added to the NEXT invoice as 'adjustment'
//       lines dated with the old period (invoice_usage keeps the billed raw quantities per assignment/component).
//   Rules: an hour bucket belongs to the assignment in force at its start; base price prorated by assigned ms /
//       period ms (largest remainder across the VM's slices); allowances are per assignment, not prorated;
//       cap = plan.monthlyCap prorated like the base, applied to base + per-VM usage lines; p95 prorated by share.
//   createDraft(ctx, { tenantId, period }) -> InvoiceWithLines            (one tenant, draft only)
//   finalizeInvoice(ctx, { invoiceId }) -> Invoice    number 'KZ-2026-000001' (gapless per series/year)
//   voidInvoice(ctx, { invoiceId, reason? }) / markUncollectible(ctx, { invoiceId }) / markPaid(ctx, { invoiceId, paidAt?, paymentRef? })
//       status: draft -> finalized -> paid | void | uncollectible (uncollectible -> paid | void). Enforced by DB triggers.
//   createCreditNote(ctx, { invoiceId, amount (minor units, tax-inclusive), reason }) -> CreditNote  number 'KZC-2026-000001'
//   getInvoice(ctx, id), getInvoiceByNumber(ctx, number), getInvoiceForTenant(ctx, tenantId, period),
//   listInvoices(ctx, { tenantId?, period?, status? }), listCreditNotes(ctx, invoiceId)
//   Invoice lines: kind 'base' | 'usage' | 'pooled' | 'p95' | 'cap' | 'adjustment'; quantity shown at 6 dp,
//       amount computed from the exact quantity (one half-even rounding per line); vm_uuid null for pooled lines.
//   Invoice amounts: subtotal = Σ line.amount; exclusive tax: total = subtotal + tax;
//                    inclusive tax (tenant.pricesIncludeTax): total = subtotal and `tax` is the part of it that is tax.
//
// Rendering
//   buildInvoiceView(ctx, { invoiceId, provider }) -> InvoiceView     (provider: ProviderDetails = config.billingProvider)
//   renderInvoiceHtml(view, { fragment? }) -> string (self-contained, escaped; fragment = the <article> only)
//   renderInvoicePdf(view, { compress? }) -> Promise<Buffer>

export * from './errors.ts';
export * from './context.ts';
export * from './decimal.ts';
export * from './money.ts';
export * from './period.ts';
export * from './catalogue/types.ts';
export * from './catalogue/tenants.ts';
export * from './catalogue/suspend-tenant.ts';
export * from './catalogue/plans.ts';
export * from './catalogue/assign-vm.ts';
export * from './rating/types.ts';
export * from './invoices/run-period.ts';
export * from './invoices/create-draft.ts';
export * from './invoices/finalize.ts';
export * from './invoices/void.ts';
export * from './invoices/mark-uncollectible.ts';
export * from './invoices/mark-paid.ts';
export * from './invoices/credit-note.ts';
export * from './invoices/queries.ts';
export * from './render/view-model.ts';
export * from './render/html.ts';
export * from './render/pdf.ts';
export * from './render/provider.ts';
