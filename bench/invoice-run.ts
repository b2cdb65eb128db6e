// Invoice-run benchmark: 10,000 tenants × 3 VMs × a month of hourly usage (seeded set-based with generate_series),
// the full runInvoicePeriod (rate + write + finalize) beside a bare SQL aggregate of the same hours in the same run,
// then PDF rendering time per invoice. Goal: the run under 60 s on PostgreSQL.
import { ManualClock } from '../src/clock.ts';
import { rows, sql } from '../src/db/client.ts';
import { createPlan } from '../src/billing/catalogue/plans.ts';
import { runInvoicePeriod } from '../src/billing/invoices/run-period.ts';
import { listInvoices } from '../src/billing/invoices/queries.ts';
import { buildInvoiceView } from '../src/billing/render/view-model.ts';
import { renderInvoicePdf } from '../src/billing/render/pdf.ts';
import { COMPONENT_NAMES } from '../src/billing/catalogue/types.ts';
import { createBenchDatabase, fmt, progress, report, timed } from './support.ts';

export interface InvoiceBenchOptions {
  tenants?: number;
  vmsPerTenant?: number;
  /** Invoices rendered to PDF for the per-invoice figure. */
  pdfs?: number;
  batchSize?: number;
}

const PERIOD = '2026-04';
const FROM = '2026-04-01T00:00:00Z';
const TO = '2026-05-01T00:00:00Z';

export async function benchInvoiceRun(opts: InvoiceBenchOptions = {}): Promise<void> {
  const tenants = opts.tenants ?? 10_000;
  const perTenant = opts.vmsPerTenant ?? 3;
  const vms = tenants * perTenant;
  const b = await createBenchDatabase('invoice');
  try {
    const db = b.database.db;
    const ctx = { db, clock: new ManualClock(new Date('2026-05-01T02:00:00Z')) };
    const plan = await createPlan(ctx, {
      name: 'bench-vps', currency: 'EUR', basePrice: 1500n, monthlyCap: 10_000n,
      components: COMPONENT_NAMES.map((component) => ({ component, included: '10', tiers: [{ upTo: '100', unitPrice: '0.0125' }, { upTo: null, unitPrice: '0.0075' }] })),
    });
    progress(`seeding ${fmt(tenants)} tenants, ${fmt(vms)} VMs, ${fmt(vms * 720)} hour buckets`);
    const seed = await timed(async () => {
      await rows(db, sql`insert into tenants (id, company, billing_email, currency, tax_rate_percent)
                         select ('00000000-0000-4000-a000-' || lpad(to_hex(t), 12, '0'))::uuid, 'Bench tenant ' || t, 'b' || t || '@example.test', 'EUR', 19
                         from generate_series(1, ${tenants}) t`);
      await rows(db, sql`insert into vms (uuid, name, first_seen_at, last_seen_at)
                         select ('00000000-0000-4000-b000-' || lpad(to_hex(v), 12, '0'))::uuid, 'vm-' || v, ${FROM}::timestamptz, ${FROM}::timestamptz
                         from generate_series(1, ${vms}) v`);
      await rows(db, sql`insert into vm_assignments (vm_uuid, tenant_id, plan_id, valid_from)
                         select ('00000000-0000-4000-b000-' || lpad(to_hex(v), 12, '0'))::uuid,
                                ('00000000-0000-4000-a000-' || lpad(to_hex((v - 1) / ${perTenant} + 1), 12, '0'))::uuid, ${plan.id}::uuid, '2026-01-01T00:00:00Z'::timestamptz
                         from generate_series(1, ${vms}) v`);
      // Throwaway database: build the bucket index once after the bulk insert instead of row by row.
      await b.raw.unsafe('drop index if exists usage_hour_bucket');
      const chunk = 3000;
      for (let v0 = 1; v0 <= vms; v0 += chunk) {
        const v1 = Math.min(vms, v0 + chunk - 1);
        await b.raw.unsafe(
          `insert into usage_hour (vm_uuid, bucket, cpu_seconds, vcpu_seconds, mem_mib_seconds, disk_read_bytes, disk_write_bytes, net_rx_bytes, net_tx_bytes, uptime_seconds, samples)
           select ('00000000-0000-4000-b000-' || lpad(to_hex(v), 12, '0'))::uuid, $1::timestamptz + h * interval '1 hour',
                  (h * 7 + v) % 3600, 7200 + (v % 3) * 0.5, 2048 * 3600 + (h % 11) * 0.125, (h * v) % 50000000, (h + v) % 70000000,
                  ((h * 31 + v) % 90000) * 1000, ((h * 17 + v) % 120000) * 1000, 3600, 60
           from generate_series($2::int, $3::int) v, generate_series(0, 719) h`,
          [FROM, v0, v1],
        );
        progress(`usage_hour: ${fmt(v1 * 720)} rows`);
      }
      await b.raw.unsafe('create index usage_hour_bucket on usage_hour (bucket)');
      await b.raw.unsafe('analyze');
    });

    progress('baseline: bare SQL aggregate of the same hours');
    const bare = await timed(() =>
      b.raw.unsafe(
        `select vm_uuid, sum(cpu_seconds), sum(vcpu_seconds), sum(mem_mib_seconds), sum(disk_read_bytes), sum(disk_write_bytes), sum(net_rx_bytes), sum(net_tx_bytes)
         from usage_hour where bucket >= $1::timestamptz and bucket < $2::timestamptz group by vm_uuid`,
        [FROM, TO],
      ),
    );
    progress('invoice run (rate, write drafts, finalize)');
    const run = await timed(() =>
      runInvoicePeriod(ctx, { period: PERIOD, finalize: true, batchSize: opts.batchSize, onProgress: (d, t) => d % 2000 === 0 && progress(`${fmt(d)}/${fmt(t)} tenants`) }),
    );
    const [lines] = await rows<{ n: number }>(db, sql`select count(*)::int as n from invoice_lines`);
    const rerun = await timed(() => runInvoicePeriod(ctx, { period: PERIOD, finalize: true, batchSize: opts.batchSize }));

    const pdfs = opts.pdfs ?? 50;
    const some = (await listInvoices(ctx, { period: PERIOD })).slice(0, pdfs);
    const provider = { name: 'Kamikazi Hosting', address: 'Bench street 1', taxId: 'DE000', email: '' };
    let bytes = 0;
    const pdf = await timed(async () => {
      for (const inv of some) bytes += (await renderInvoicePdf(await buildInvoiceView(ctx, { invoiceId: inv.id, provider }))).length;
    });
    const eur = run.value.totals.EUR;
    report(`invoice run: ${fmt(tenants)} tenants × ${perTenant} VMs × 720 h (PostgreSQL)`, [
      ['seed (generate_series)', `${fmt(seed.ms / 1000, 1)} s for ${fmt(vms * 720)} hour buckets`],
      ['bare SQL aggregate', `${fmt(bare.ms / 1000, 2)} s (${fmt(bare.value.length)} VM sums)`],
      ['runInvoicePeriod', `${fmt(run.ms / 1000, 2)} s — ${fmt(run.value.created)} invoices, ${fmt(lines.n)} lines, ${fmt(run.value.numbers.length)} finalized (goal < 60 s)`],
      ['run / bare aggregate', `${fmt(run.ms / bare.ms, 1)}×`],
      ['re-run (all finalized)', `${fmt(rerun.ms / 1000, 2)} s, kept ${fmt(rerun.value.kept)}, changed 0`],
      ['invoiced total', eur ? `${fmt(eur.invoices)} invoices, total ${eur.total} EUR cents (tax ${eur.tax})` : 'none'],
      ['PDF render', `${fmt(pdf.ms / Math.max(1, some.length), 1)} ms per invoice (${some.length} invoices, avg ${fmt(bytes / Math.max(1, some.length) / 1024, 1)} KiB)`],
    ]);
  } finally {
    await b.drop();
  }
}
