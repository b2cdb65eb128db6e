// runDunning: overdue invoices become past due, autopay is retried on a schedule (DUNNING_RETRY_DAYS after
// the due date), VMs are shut down after DUNNING_SUSPEND_AFTER_DAYS (when configured and host adapters are
// given) and started again once paid. Every step is written once to the tenant-visible dunning_events.
import { and, eq, isNull, isNotNull, lte, sql } from 'drizzle-orm';
import { pgArray, rows } from '../../db/client.ts';
import { invoices } from '../../db/schema/billing.ts';
import { dunningEvents, dunningStates, paymentCustomers } from '../../db/schema/payments.ts';
import { chargeInvoice } from '../payments/charge.ts';
import type { PaymentsDeps } from '../payments/deps.ts';
import { powerVms, tenantVms } from './vm-power.ts';

const DAY = 86_400_000;

export interface DunningReport {
  pastDue: number;
  retried: number;
  suspended: number;
  resumed: number;
}

async function event(d: PaymentsDeps, e: { tenantId: string; invoiceId: string; kind: string; message: string; dedupeKey: string }): Promise<void> {
  await d.db.insert(dunningEvents).values({ ...e, at: d.clock.now() }).onConflictDoNothing();
}

export async function runDunning(d: PaymentsDeps): Promise<DunningReport> {
  const now = d.clock.now();
  const days = d.payments.dunningRetryDays;
  const report: DunningReport = { pastDue: 0, retried: 0, suspended: 0, resumed: 0 };

  // 1. Finalized, unpaid, past the due date → past due.
  const overdue = await d.db
    .select({ id: invoices.id, tenantId: invoices.tenantId, number: invoices.number, dueAt: invoices.dueAt })
    .from(invoices)
    .where(and(eq(invoices.status, 'finalized'), lte(invoices.dueAt, now), sql`not exists (select 1 from dunning_states s where s.invoice_id = ${invoices.id})`));
  for (const inv of overdue) {
    const due = inv.dueAt!;
    const ins = await d.db
      .insert(dunningStates)
      .values({ invoiceId: inv.id, tenantId: inv.tenantId, pastDueSince: now, nextRetryAt: days.length ? new Date(due.getTime() + days[0] * DAY) : null })
      .onConflictDoNothing()
      .returning();
    if (!ins.length) continue;
    report.pastDue += 1;
    await event(d, { tenantId: inv.tenantId, invoiceId: inv.id, kind: 'past_due', message: `Invoice ${inv.number} is past due (was due ${due.toISOString().slice(0, 10)}).`, dedupeKey: `past_due:${inv.id}` });
  }

  // 2. Invoices settled some other way (manual payment, void) resolve their dunning.
  await rows(
    d.db,
    sql`update dunning_states s set resolved_at = ${now.toISOString()}::timestamptz, next_retry_at = null
        from invoices i where i.id = s.invoice_id and s.resolved_at is null and i.status <> 'finalized'`,
  );

  // 3. Retries that are due.
  const due = await d.db
    .select()
    .from(dunningStates)
    .where(and(isNull(dunningStates.resolvedAt), isNotNull(dunningStates.nextRetryAt), lte(dunningStates.nextRetryAt, now)));
  for (const st of due) {
    const n = st.retries + 1;
    const [auto] = await d.db.select().from(paymentCustomers).where(and(eq(paymentCustomers.tenantId, st.tenantId), eq(paymentCustomers.autopay, true)));
    let ok = false;
    let why = 'no saved payment method for autopay';
    if (auto) {
      try {
        const r = await chargeInvoice(d, { invoiceId: st.invoiceId });
        ok = r.outcome !== 'failed' && r.outcome !== 'pending';
        why = r.payment.failureReason ?? r.outcome;
      } catch (err) {
        why = err instanceof Error ? err.message : String(err);
      }
    }
    report.retried += 1;
    const dueAt = (await d.db.select({ dueAt: invoices.dueAt }).from(invoices).where(eq(invoices.id, st.invoiceId)))[0]?.dueAt ?? st.pastDueSince;
    // Missed slots (dunning noticed late, or the job did not run) are not made up in a burst: the next try
    // is on schedule but at least a day after this one, so a second run the same day retries nothing.
    const next = n < days.length ? new Date(Math.max(dueAt.getTime() + days[n] * DAY, now.getTime() + DAY)) : null;
    if (!ok) {
      await d.db.update(dunningStates).set({ retries: n, nextRetryAt: next }).where(eq(dunningStates.invoiceId, st.invoiceId));
      await event(d, { tenantId: st.tenantId, invoiceId: st.invoiceId, kind: 'retry_failed', message: `Payment retry ${n} failed: ${why}.${next ? ` Next try ${next.toISOString().slice(0, 10)}.` : ' No more automatic retries.'}`, dedupeKey: `retry:${st.invoiceId}:${n}` });
    } else {
      await event(d, { tenantId: st.tenantId, invoiceId: st.invoiceId, kind: 'retry_succeeded', message: `Payment retry ${n} succeeded.`, dedupeKey: `retry:${st.invoiceId}:${n}` });
    }
  }

  // 4. Suspend after the grace period; 5. resume once paid.
  if (d.hosts && d.payments.dunningSuspendAfterDays !== undefined) {
    report.suspended += await suspend(d, now, d.payments.dunningSuspendAfterDays);
  }
  if (d.hosts) report.resumed += await resume(d);
  return report;
}

async function suspend(d: PaymentsDeps, now: Date, afterDays: number): Promise<number> {
  const cutoff = new Date(now.getTime() - afterDays * DAY);
  const due = await d.db.select().from(dunningStates).where(and(isNull(dunningStates.resolvedAt), isNull(dunningStates.suspendedAt), lte(dunningStates.pastDueSince, cutoff)));
  let n = 0;
  for (const st of due) {
    const vms = await tenantVms(d.db, st.tenantId);
    const { done } = await powerVms({ ...d, hosts: d.hosts! }, vms.map((v) => v.uuid), 'shutdown', 'dunning (will retry next run)');
    if (done.length < vms.length) continue;
    await d.db.update(dunningStates).set({ suspendedAt: now, suspendedVms: done }).where(eq(dunningStates.invoiceId, st.invoiceId));
    await event(d, { tenantId: st.tenantId, invoiceId: st.invoiceId, kind: 'suspended', message: `${done.length} VM(s) shut down for non-payment.`, dedupeKey: `suspended:${st.invoiceId}` });
    n += 1;
  }
  return n;
}

async function resume(d: PaymentsDeps): Promise<number> {
  // A tenant an operator suspended stays down after paying: its VMs start when the operator unsuspends it.
  const paid = await d.db
    .select()
    .from(dunningStates)
    .where(
      and(
        isNotNull(dunningStates.resolvedAt),
        isNotNull(dunningStates.suspendedAt),
        sql`not exists (select 1 from tenants t where t.id = ${dunningStates.tenantId} and t.status = 'suspended')`,
      ),
    );
  let n = 0;
  for (const st of paid) {
    // A VM that left its host meanwhile has nothing to start: it counts as done, as before.
    const onHost = await rows<{ uuid: string }>(d.db, sql`select uuid::text as uuid from vms where uuid = any(${pgArray(st.suspendedVms)}::uuid[]) and host_id is not null`);
    const hosted = new Set(onHost.map((v) => v.uuid));
    const r = await powerVms({ ...d, hosts: d.hosts! }, st.suspendedVms.filter((u) => hosted.has(u)), 'start', 'dunning (will retry next run)');
    const started = st.suspendedVms.filter((u) => !hosted.has(u) || r.done.includes(u));
    const left = st.suspendedVms.filter((u) => !started.includes(u));
    await d.db.update(dunningStates).set({ suspendedVms: left, suspendedAt: left.length ? st.suspendedAt : null }).where(eq(dunningStates.invoiceId, st.invoiceId));
    if (!left.length) {
      await event(d, { tenantId: st.tenantId, invoiceId: st.invoiceId, kind: 'resumed', message: `${started.length} VM(s) started again after payment.`, dedupeKey: `resumed:${st.invoiceId}` });
      n += 1;
    }
  }
  return n;
}
