// Payments against invoices, provider customers, refunds, webhook de-duplication, tithe settlements
// and the tenant-visible dunning log.
import { sql } from 'drizzle-orm';
import { bigserial, boolean, check, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenants } from './billing.ts';
import { createdAt, id, int64, tstz } from './columns.ts';

/**
 * A tenant's customer record at a provider, and the saved method used for autopay. The card columns are
 * display metadata the provider reports (brand, last 4 digits, expiry), never card data.
 */
export const paymentCustomers = pgTable(
  'payment_customers',
  {
    tenantId: uuid('tenant_id').notNull(),
    provider: text('provider').notNull(),
    customerId: text('customer_id').notNull(),
    defaultPaymentMethod: text('default_payment_method'),
    autopay: boolean('autopay').notNull().default(false),
    cardBrand: text('card_brand'),
    cardLast4: text('card_last4'),
    cardExpMonth: integer('card_exp_month'),
    cardExpYear: integer('card_exp_year'),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.provider] }),
    check('payment_customers_card_last4', sql`${t.cardLast4} is null or ${t.cardLast4} ~ '^[0-9]{4}$'`),
    check('payment_customers_card_exp_month', sql`${t.cardExpMonth} is null or ${t.cardExpMonth} between 1 and 12`),
    check('payment_customers_autopay_needs_method', sql`not ${t.autopay} or ${t.defaultPaymentMethod} is not null`),
  ],
);

/**
 * One hosted "save a card" flow (Stripe Checkout in setup mode). Our id is in the idempotency key and the
 * provider's metadata; `status` makes completion apply once, whether the webhook or the return URL is first.
 */
export const paymentMethodSetups = pgTable(
  'payment_method_setups',
  {
    id: id(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    provider: text('provider').notNull(),
    customerId: text('customer_id').notNull(),
    /** cs_… (Checkout Session). */
    providerRef: text('provider_ref'),
    redirectUrl: text('redirect_url'),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    /** Turn autopay on when the method is saved (the owner's choice when starting). */
    autopay: boolean('autopay').notNull().default(true),
    /** open | completed */
    status: text('status').notNull().default('open'),
    paymentMethod: text('payment_method'),
    /** Who started it (label for the audit entry written when it completes). */
    startedBy: text('started_by'),
    expiresAt: tstz('expires_at'),
    createdAt: createdAt(),
    completedAt: tstz('completed_at'),
  },
  (t) => [
    uniqueIndex('payment_method_setups_provider_ref').on(t.provider, t.providerRef),
    index('payment_method_setups_tenant').on(t.tenantId, t.createdAt),
    check('payment_method_setups_status', sql`${t.status} in ('open', 'completed')`),
  ],
);

/** One attempt to collect an invoice. The idempotency key is sent to the provider: one key, one charge. */
export const payments = pgTable(
  'payments',
  {
    id: id(),
    invoiceId: uuid('invoice_id').notNull(),
    tenantId: uuid('tenant_id').notNull(),
    provider: text('provider').notNull(),
    /** checkout | off_session */
    method: text('method').notNull(),
    attempt: integer('attempt').notNull(),
    /** Checkout Session (cs_…), PaymentIntent (pi_…) or PayPal order id. */
    providerPaymentId: text('provider_payment_id'),
    /** Stripe PaymentIntent when paid through Checkout. */
    providerIntentId: text('provider_intent_id'),
    /** Stripe charge (ch_…) or PayPal capture id: what refunds and disputes name. */
    providerChargeId: text('provider_charge_id'),
    /** Off-session: the saved method this attempt charges, so a retry with its key sends the same request. */
    paymentMethod: text('payment_method'),
    amount: int64('amount').notNull(),
    currency: text('currency').notNull(),
    /** pending | succeeded | failed | canceled */
    status: text('status').notNull().default('pending'),
    refundedAmount: int64('refunded_amount').notNull().default(sql`0`),
    disputedAmount: int64('disputed_amount').notNull().default(sql`0`),
    /** Tithe rate in force when captured, so later refunds reverse exactly what was posted. */
    titheBps: integer('tithe_bps'),
    titheAmount: int64('tithe_amount'),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    redirectUrl: text('redirect_url'),
    failureReason: text('failure_reason'),
    createdAt: createdAt(),
    capturedAt: tstz('captured_at'),
    updatedAt: tstz('updated_at'),
  },
  (t) => [
    index('payments_invoice').on(t.invoiceId),
    uniqueIndex('payments_provider_payment').on(t.provider, t.providerPaymentId),
    uniqueIndex('payments_provider_charge').on(t.provider, t.providerChargeId),
    uniqueIndex('payments_invoice_attempt').on(t.invoiceId, t.method, t.attempt),
    check('payments_amount_positive', sql`${t.amount} > 0`),
    check('payments_refunded_le_amount', sql`${t.refundedAmount} + ${t.disputedAmount} <= ${t.amount}`),
  ],
);

/** Money going back: refunds we asked for, refunds made elsewhere (dashboard) and chargebacks. */
export const paymentReversals = pgTable(
  'payment_reversals',
  {
    id: id(),
    paymentId: uuid('payment_id')
      .notNull()
      .references(() => payments.id),
    /** refund | chargeback */
    kind: text('kind').notNull(),
    /** re_… / dp_… / PayPal refund or dispute id; null until the provider answers. */
    providerRef: text('provider_ref'),
    amount: int64('amount').notNull(),
    currency: text('currency').notNull(),
    /** Set when applied (payment totals and ledger updated); null while a refund we asked for is in flight. */
    titheReversed: int64('tithe_reversed'),
    /** pending (asked, not yet confirmed) | applied | failed */
    status: text('status').notNull().default('applied'),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [
    index('payment_reversals_payment').on(t.paymentId),
    uniqueIndex('payment_reversals_provider_ref').on(t.kind, t.providerRef),
    check('payment_reversals_amount_positive', sql`${t.amount} > 0`),
  ],
);

/** Every provider event, recorded in the same transaction as its effects: processed exactly once. */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    provider: text('provider').notNull(),
    eventId: text('event_id').notNull(),
    type: text('type').notNull(),
    receivedAt: tstz('received_at').notNull(),
    processedAt: tstz('processed_at'),
    outcome: text('outcome'),
  },
  (t) => [uniqueIndex('webhook_events_provider_event').on(t.provider, t.eventId)],
);

/** Forwarding the tithe payable: one row per settlement, its idempotency key sent to the provider. */
export const titheSettlements = pgTable(
  'tithe_settlements',
  {
    id: id(),
    provider: text('provider').notNull(),
    /** stripe_transfer | paypal_platform_fee | paypal_payout */
    method: text('method').notNull(),
    /** For per-payment transfers; null for batched payouts. */
    paymentId: uuid('payment_id').references(() => payments.id),
    amount: int64('amount').notNull(),
    currency: text('currency').notNull(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    /** pending | sent | failed */
    status: text('status').notNull().default('pending'),
    providerRef: text('provider_ref'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: tstz('created_at').notNull(),
    sentAt: tstz('sent_at'),
  },
  (t) => [
    index('tithe_settlements_status').on(t.status),
    check('tithe_settlements_amount_positive', sql`${t.amount} > 0`),
  ],
);

/** Collection state of an overdue invoice. */
export const dunningStates = pgTable('dunning_states', {
  invoiceId: uuid('invoice_id').primaryKey(),
  tenantId: uuid('tenant_id').notNull(),
  pastDueSince: tstz('past_due_since').notNull(),
  retries: integer('retries').notNull().default(0),
  nextRetryAt: tstz('next_retry_at'),
  suspendedAt: tstz('suspended_at'),
  /** VM uuids we shut down, so resuming starts exactly those. */
  suspendedVms: jsonb('suspended_vms').$type<string[]>().notNull().default([]),
  resolvedAt: tstz('resolved_at'),
});

/** Tenant-visible log of every dunning step (the portal shows it). */
export const dunningEvents = pgTable(
  'dunning_events',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    invoiceId: uuid('invoice_id'),
    at: tstz('at').notNull(),
    /** past_due | retry_failed | retry_succeeded | suspended | resumed | paid | notice */
    kind: text('kind').notNull(),
    message: text('message').notNull(),
    /** One row per (invoice, step): re-running a job does not write it twice. */
    dedupeKey: text('dedupe_key').notNull().unique(),
  },
  (t) => [index('dunning_events_tenant_at').on(t.tenantId, t.at)],
);
