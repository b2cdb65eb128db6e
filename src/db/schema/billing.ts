// Billing tables: tenants, plans, VM assignment history, invoices (+ lines, billed-usage snapshot), numbering, credit notes.
// Immutability, gapless numbering guards and the no-overlap rule live in triggers (migrations/*_billing_rules.sql).
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, unique, uuid, bigserial, primaryKey } from 'drizzle-orm/pg-core';
import { createdAt, decimal, id, int64, tstz } from './columns.ts';
import { vms } from './hosts.ts';
import type { Bandwidth, PlanComponent } from '../../billing/catalogue/types.ts';

export const tenants = pgTable(
  'tenants',
  {
    id: id(),
    company: text('company').notNull(),
    billingEmail: text('billing_email').notNull(),
    currency: text('currency').notNull(),
    billingAddress: text('billing_address').notNull().default(''),
    /** Percent, exact: '19' = 19 %. */
    taxRatePercent: decimal('tax_rate_percent', 9, 4).notNull().default('0'),
    pricesIncludeTax: boolean('prices_include_tax').notNull().default(false),
    paymentProvider: text('payment_provider').notNull().default('manual'),
    providerCustomerRef: text('provider_customer_ref'),
    billingDay: integer('billing_day').notNull().default(1),
    timezone: text('timezone').notNull().default('UTC'),
    status: text('status').notNull().default('active'),
    /** Operator suspension: why (shown to the tenant) and since when; null while active. */
    suspendedReason: text('suspended_reason'),
    suspendedAt: tstz('suspended_at'),
    /** VMs the suspension shut down, started again on unsuspend when asked. */
    suspendedVms: jsonb('suspended_vms').$type<string[]>().notNull().default([]),
    createdAt: createdAt(),
  },
  (t) => [
    check('tenants_billing_day', sql`${t.billingDay} between 1 and 28`),
    check('tenants_status', sql`${t.status} in ('active', 'suspended')`),
    check('tenants_provider', sql`${t.paymentProvider} in ('stripe', 'paypal', 'manual')`),
    check('tenants_currency', sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check('tenants_tax_rate', sql`${t.taxRatePercent} >= 0 and ${t.taxRatePercent} < 100`),
  ],
);

export const plans = pgTable(
  'plans',
  {
    id: id(),
    name: text('name').notNull().unique(),
    currency: text('currency').notNull(),
    /** Monthly base price per VM, minor units. */
    basePrice: int64('base_price').notNull(),
    components: jsonb('components').$type<PlanComponent[]>().notNull(),
    bandwidth: jsonb('bandwidth').$type<Bandwidth>().notNull(),
    /** Monthly cap (minor units) on a VM's base + per-VM metered charges; prorated like the base. */
    monthlyCap: int64('monthly_cap'),
    createdAt: createdAt(),
  },
  (t) => [
    check('plans_base_price', sql`${t.basePrice} >= 0`),
    check('plans_cap', sql`${t.monthlyCap} is null or ${t.monthlyCap} >= 0`),
    check('plans_currency', sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);

/** Who a VM belonged to, on which plan, when. [valid_from, valid_to); no overlaps per VM (trigger). */
export const vmAssignments = pgTable(
  'vm_assignments',
  {
    id: id(),
    vmUuid: uuid('vm_uuid').notNull().references(() => vms.uuid),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id),
    planId: uuid('plan_id').notNull().references(() => plans.id),
    validFrom: tstz('valid_from').notNull(),
    validTo: tstz('valid_to'),
    createdAt: createdAt(),
  },
  (t) => [
    check('vm_assignments_range', sql`${t.validTo} is null or ${t.validTo} > ${t.validFrom}`),
    index('vm_assignments_vm').on(t.vmUuid, t.validFrom),
    index('vm_assignments_tenant').on(t.tenantId, t.validFrom),
  ],
);

export const invoices = pgTable(
  'invoices',
  {
    id: id(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id),
    /** 'YYYY-MM' label of the tenant's billing period [period_start, period_end). */
    period: text('period').notNull(),
    periodStart: tstz('period_start').notNull(),
    periodEnd: tstz('period_end').notNull(),
    currency: text('currency').notNull(),
    status: text('status').notNull().default('draft'),
    /** Series ('KZ-2026') and gapless number ('KZ-2026-000001'), assigned at finalization. */
    series: text('series'),
    number: text('number').unique(),
    subtotal: int64('subtotal').notNull().default(sql`0`),
    tax: int64('tax').notNull().default(sql`0`),
    total: int64('total').notNull().default(sql`0`),
    taxRatePercent: decimal('tax_rate_percent', 9, 4).notNull().default('0'),
    taxInclusive: boolean('tax_inclusive').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
    finalizedAt: tstz('finalized_at'),
    dueAt: tstz('due_at'),
    paidAt: tstz('paid_at'),
    paymentRef: text('payment_ref'),
    voidedAt: tstz('voided_at'),
    uncollectibleAt: tstz('uncollectible_at'),
    statusReason: text('status_reason'),
  },
  (t) => [
    unique('invoices_tenant_period').on(t.tenantId, t.periodStart),
    check('invoices_status', sql`${t.status} in ('draft', 'finalized', 'paid', 'void', 'uncollectible')`),
    check('invoices_number_when_final', sql`(${t.status} = 'draft') = (${t.number} is null)`),
    check(
      'invoices_totals',
      sql`${t.total} = ${t.subtotal} + case when ${t.taxInclusive} then 0 else ${t.tax} end`,
    ),
    index('invoices_period').on(t.periodStart),
  ],
);

export const invoiceLines = pgTable(
  'invoice_lines',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    invoiceId: uuid('invoice_id').notNull().references(() => invoices.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    kind: text('kind').notNull(),
    vmUuid: uuid('vm_uuid'),
    vmName: text('vm_name'),
    component: text('component'),
    description: text('description').notNull(),
    /** Display quantity rounded to 6 dp; the amount is computed from the exact quantity. */
    quantity: decimal('quantity', 30, 6).notNull(),
    unit: text('unit').notNull(),
    unitPrice: decimal('unit_price', 30, 12).notNull(),
    amount: int64('amount').notNull(),
    /** The time range the line charges for (adjustments are dated with the original period). */
    rangeStart: tstz('range_start').notNull(),
    rangeEnd: tstz('range_end').notNull(),
  },
  (t) => [unique('invoice_lines_position').on(t.invoiceId, t.position)],
);

/** What an invoice billed: exact raw meter sums per assignment/component/range, to price late usage later. */
export const invoiceUsage = pgTable(
  'invoice_usage',
  {
    invoiceId: uuid('invoice_id').notNull().references(() => invoices.id, { onDelete: 'cascade' }),
    /** Start of the billing period these quantities belong to (earlier than the invoice's own for adjustments). */
    sourcePeriodStart: tstz('source_period_start').notNull(),
    assignmentId: uuid('assignment_id').notNull(),
    vmUuid: uuid('vm_uuid').notNull(),
    /** A component name, or 'bandwidth_p95' (peak bytes per 5 minutes at the 95th percentile). */
    component: text('component').notNull(),
    rangeStart: tstz('range_start').notNull(),
    rangeEnd: tstz('range_end').notNull(),
    rawQuantity: decimal('raw_quantity', 38, 3).notNull(),
  },
  (t) => [primaryKey({ columns: [t.invoiceId, t.sourcePeriodStart, t.assignmentId, t.component] })],
);

/** Gapless numbering: one row per series, locked FOR UPDATE by the finalizing transaction. */
export const invoiceNumberCounters = pgTable('invoice_number_counters', {
  series: text('series').primaryKey(),
  lastValue: int64('last_value').notNull().default(sql`0`),
});

export const creditNotes = pgTable(
  'credit_notes',
  {
    id: id(),
    invoiceId: uuid('invoice_id').notNull().references(() => invoices.id),
    series: text('series').notNull(),
    number: text('number').notNull().unique(),
    currency: text('currency').notNull(),
    subtotal: int64('subtotal').notNull(),
    tax: int64('tax').notNull(),
    total: int64('total').notNull(),
    reason: text('reason').notNull(),
    issuedAt: tstz('issued_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [check('credit_notes_positive', sql`${t.total} > 0`), index('credit_notes_invoice').on(t.invoiceId)],
);

export const creditNoteLines = pgTable('credit_note_lines', {
  id: bigserial('id', { mode: 'bigint' }).primaryKey(),
  creditNoteId: uuid('credit_note_id').notNull().references(() => creditNotes.id),
  description: text('description').notNull(),
  amount: int64('amount').notNull(),
});
