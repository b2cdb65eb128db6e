// Getting tithe back from upstream after a refund or chargeback of a payment whose tithe was already sent:
// a Stripe transfer reversal, or the platform fee PayPal takes back from the fee payee with a refund.
import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, int64, tstz } from './columns.ts';
import { paymentReversals, payments, titheSettlements } from './payments.ts';

/**
 * One attempt to recover tithe already sent. Rows are written before the provider call (its key is ours),
 * so a crash re-sends the same key. `failed` rows are what could not be recovered from the transfer: that
 * amount stays a receivable from upstream, which the next settlement nets off.
 */
export const titheRecoveries = pgTable(
  'tithe_recoveries',
  {
    id: id(),
    provider: text('provider').notNull(),
    /** stripe_transfer_reversal | paypal_fee_refund */
    method: text('method').notNull(),
    paymentId: uuid('payment_id')
      .notNull()
      .references(() => payments.id),
    /** The settlement (transfer or platform fee) the money is taken back from; null when there is none left. */
    settlementId: uuid('settlement_id').references(() => titheSettlements.id),
    /** PayPal: the refund that carried the platform fee back. */
    reversalId: uuid('reversal_id').references(() => paymentReversals.id),
    amount: int64('amount').notNull(),
    currency: text('currency').notNull(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    /** pending | recovered | failed | canceled (the refund it rode on went without it) */
    status: text('status').notNull().default('pending'),
    /** trr_… (Stripe) or the PayPal refund id. */
    providerRef: text('provider_ref'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: createdAt(),
    recoveredAt: tstz('recovered_at'),
  },
  (t) => [
    index('tithe_recoveries_payment').on(t.paymentId),
    index('tithe_recoveries_status').on(t.status),
    check('tithe_recoveries_amount_positive', sql`${t.amount} > 0`),
    check('tithe_recoveries_status', sql`${t.status} in ('pending', 'recovered', 'failed', 'canceled')`),
  ],
);
