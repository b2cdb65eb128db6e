// collectAutopay: charge each finalized, unpaid, not yet past-due invoice of a tenant with autopay on and a
// saved method, once. A job step (billing-jobs.ts), not part of finalizing: a provider call never holds an
// invoice transaction open, and invoices finalized by hand are collected by the next run too.
// Exactly once per card: an invoice whose off-session attempt with the saved card ended (failed or succeeded)
// is not selected again; a pending attempt (a crash mid-call) is resumed with its own key and card. A card
// saved after a decline gets one try before the due date; after it, dunning retries on DUNNING_RETRY_DAYS.
// The tenant sees a notice of each decline.
import { sql } from 'drizzle-orm';
import { rows } from '../../db/client.ts';
import { dunningEvents } from '../../db/schema/payments.ts';
import { chargeInvoice } from './charge.ts';
import type { PaymentsDeps } from './deps.ts';

/** Stripe Checkout pages stay payable for 24 hours: while one is open the person is paying by hand. */
const OPEN_CHECKOUT_MS = 24 * 3_600_000;

export interface AutopayReport {
  considered: number;
  captured: number;
  failed: number;
  pending: number;
  errors: number;
}

interface Due {
  id: string;
  tenantId: string;
  number: string;
}

export async function collectAutopay(d: PaymentsDeps): Promise<AutopayReport> {
  const now = d.clock.now();
  const openSince = new Date(now.getTime() - OPEN_CHECKOUT_MS);
  const due = await rows<Due>(
    d.db,
    sql`select i.id::text as id, i.tenant_id::text as "tenantId", i.number
          from invoices i
          join tenants t on t.id = i.tenant_id
          join payment_customers c on c.tenant_id = i.tenant_id and c.provider = t.payment_provider
         where i.status = 'finalized' and i.total > 0
           and c.autopay and c.default_payment_method is not null
           and not exists (select 1 from dunning_states s where s.invoice_id = i.id)
           and not exists (
             select 1 from payments p where p.invoice_id = i.id
                and (p.status = 'succeeded'
                     or (p.method = 'off_session' and p.status <> 'pending'
                         and (p.payment_method is null or p.payment_method = c.default_payment_method))
                     or (p.method = 'checkout' and p.status = 'pending' and p.created_at > ${openSince.toISOString()}::timestamptz)))
         order by i.finalized_at, i.id`,
  );
  const report: AutopayReport = { considered: due.length, captured: 0, failed: 0, pending: 0, errors: 0 };
  for (const inv of due) {
    try {
      const r = await chargeInvoice(d, { invoiceId: inv.id });
      if (r.outcome === 'captured' || r.outcome === 'already_paid') report.captured += 1;
      else if (r.outcome === 'pending') report.pending += 1;
      else {
        report.failed += 1;
        await notice(d, inv, r.payment.attempt, r.payment.failureReason ?? 'declined');
      }
    } catch (err) {
      // Provider down or misconfigured: the attempt (if opened) stays pending and the next run resumes it.
      report.errors += 1;
      d.log.warn({ invoiceId: inv.id, err }, 'autopay: charge could not be made; next run tries again');
    }
  }
  return report;
}

/** Tenant-visible: the automatic charge failed; dunning takes over after the due date. */
async function notice(d: PaymentsDeps, inv: Due, attempt: number, reason: string): Promise<void> {
  await d.db
    .insert(dunningEvents)
    .values({
      tenantId: inv.tenantId,
      invoiceId: inv.id,
      at: d.clock.now(),
      kind: 'notice',
      message: `Autopay could not charge the saved card for invoice ${inv.number}: ${reason}. Pay it from the invoice page or update the card; it is retried after the due date.`,
      dedupeKey: `autopay_failed:${inv.id}:${attempt}`,
    })
    .onConflictDoNothing();
}
