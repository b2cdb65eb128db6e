// Test wiring for payments: a cloned database, a manual clock, a log that tests can read, the real
// provider classes pointed at the local fakes, and a factory for finalized invoices.
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { eq } from 'drizzle-orm';
import { ManualClock } from '../../src/clock.ts';
import type { PaymentsConfig } from '../../src/config.ts';
import { invoiceLines, invoices } from '../../src/db/schema/billing.ts';
import { createTenant } from '../../src/billing/catalogue/tenants.ts';
import type { PaymentsDeps } from '../../src/billing/payments/deps.ts';
import { createProviderRegistry } from '../../src/billing/payments/select.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { StripeFake } from '../fakes/stripe-server.ts';
import { PayPalFake } from '../fakes/paypal-server.ts';

export const STRIPE_KEY = 'sk_test_kamikazi0fake0key';
export const STRIPE_WHSEC = 'whsec_testsecret0123456789';
export const PAYPAL = { clientId: 'AbCpaypalClient', clientSecret: 'EFgpaypalSecret', webhookId: '8PT597110X687430LKGECATA' };
export const TITHE_ACCT = 'acct_1TitheReceiver';

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export interface Harness {
  database: TestDatabase;
  deps: PaymentsDeps;
  clock: ManualClock;
  logs: LogLine[];
  stripe: StripeFake;
  paypal: PayPalFake;
  close(): Promise<void>;
}

export async function startHarness(opts: { titheBps?: number; paypalTitheMode?: 'platform_fees' | 'payouts' } = {}): Promise<Harness> {
  const database = await createTestDatabase();
  const clock = new ManualClock(new Date('2026-03-05T10:00:00Z'));
  const logs: LogLine[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void logs.push(JSON.parse(s) as LogLine) });
  const stripe = await StripeFake.start({ secretKey: STRIPE_KEY, webhookSecret: STRIPE_WHSEC, now: () => Math.floor(clock.now().getTime() / 1000) });
  const paypal = await PayPalFake.start({ ...PAYPAL, now: () => clock.now() });
  const payments: PaymentsConfig = {
    provider: 'stripe',
    stripe: { secretKey: STRIPE_KEY, webhookSecret: STRIPE_WHSEC, apiBase: stripe.url },
    paypal: { clientId: PAYPAL.clientId, clientSecret: PAYPAL.clientSecret, apiBase: paypal.url, webhookId: PAYPAL.webhookId, titheMode: opts.paypalTitheMode ?? 'payouts' },
    titheBps: opts.titheBps ?? 1000,
    titheStripeAccount: TITHE_ACCT,
    tithePaypalPayee: 'tithe@example.org',
    publicUrl: 'http://127.0.0.1:8080',
    dunningRetryDays: [1, 3, 7],
    dunningSuspendAfterDays: 10,
  };
  const deps: PaymentsDeps = { db: database.db, clock, log, payments, providers: createProviderRegistry(payments, clock) };
  return {
    database,
    deps,
    clock,
    logs,
    stripe,
    paypal,
    async close() {
      await stripe.stop();
      await paypal.stop();
      await database.close();
    },
  };
}

/** A tenant and one finalized invoice of `total` minor units, due in 14 days. */
export async function finalizedInvoice(
  h: Harness,
  o: { total: bigint; currency?: string; provider?: 'stripe' | 'paypal'; dueAt?: Date },
): Promise<{ tenantId: string; invoiceId: string }> {
  const currency = o.currency ?? 'USD';
  const tenant = await createTenant({ db: h.deps.db, clock: h.clock }, {
    company: `T ${randomUUID().slice(0, 8)}`,
    billingEmail: 'billing@example.com',
    currency,
    paymentProvider: o.provider ?? 'stripe',
  });
  const now = h.clock.now();
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const [inv] = await h.deps.db
    .insert(invoices)
    .values({ tenantId: tenant.id, period: start.toISOString().slice(0, 7), periodStart: start, periodEnd: end, currency, subtotal: o.total, total: o.total })
    .returning();
  await h.deps.db.insert(invoiceLines).values({
    invoiceId: inv.id, position: 1, kind: 'base', description: 'VPS', quantity: '1', unit: 'month', unitPrice: '1', amount: o.total, rangeStart: start, rangeEnd: end,
  });
  const number = `KZ-TEST-${randomUUID().slice(0, 8)}`;
  await h.deps.db
    .update(invoices)
    .set({ status: 'finalized', series: 'KZ-TEST', number, finalizedAt: now, dueAt: o.dueAt ?? new Date(now.getTime() + 14 * 86_400_000) })
    .where(eq(invoices.id, inv.id));
  return { tenantId: tenant.id, invoiceId: inv.id };
}

/** Deliver fake webhooks straight into our handler (as the HTTP route would). */
export function logsWith(h: Harness, msg: string): LogLine[] {
  return h.logs.filter((l) => l.msg.includes(msg));
}
