// `kamikazi invoice run|list|show`: rate a period (progress on stderr, summary per currency), list, show or export PDF.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from '../cli.ts';
import { runInvoicePeriod } from '../billing/invoices/run-period.ts';
import { getInvoiceByNumber, listInvoices } from '../billing/invoices/queries.ts';
import { toInvoiceView } from '../billing/render/view-model.ts';
import { renderInvoicePdf } from '../billing/render/pdf.ts';
import { getTenant } from '../billing/catalogue/tenants.ts';
import { formatAmount } from '../billing/money.ts';
import { createCliContext } from './context.ts';
import { createProgress } from './progress.ts';
import { formatTable } from './table.ts';
import { cliRun, toJson } from './billing-args.ts';

const USAGE = `usage:
  kamikazi invoice run --period YYYY-MM [--dry-run] [--draft] [--tenant TENANT_ID]
      rates the period and finalizes the invoices (numbers assigned); --draft keeps them as drafts
  kamikazi invoice list [--period YYYY-MM] [--json]
  kamikazi invoice show NUMBER [--pdf FILE] [--json]
`;

export const command: Command = {
  summary: 'run a billing period, list invoices, show one (or write its PDF)',
  run: (args) =>
    cliRun(USAGE, async () => {
      const [sub, ...rest] = args;
      if (sub !== 'run' && sub !== 'list' && sub !== 'show') {
        process.stderr.write(USAGE);
        return 2;
      }
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          period: { type: 'string' }, 'dry-run': { type: 'boolean' }, draft: { type: 'boolean' }, tenant: { type: 'string' },
          json: { type: 'boolean' }, pdf: { type: 'string' },
        },
      });
      if ((sub === 'run' && !values.period) || (sub === 'show' && positionals.length !== 1)) {
        process.stderr.write(USAGE);
        return 2;
      }
      const cli = await createCliContext();
      try {
        const ctx = cli.ctx;
        if (sub === 'run') {
          let bar: ReturnType<typeof createProgress> | undefined;
          const r = await runInvoicePeriod(ctx, {
            period: values.period!, tenantId: values.tenant, dryRun: values['dry-run'] ?? false, finalize: !values.draft,
            onProgress: (done, total) => {
              bar ??= createProgress(`invoice run ${values.period}`, total);
              bar.tick(done);
            },
          });
          bar?.finish();
          process.stdout.write(
            `${r.dryRun ? 'DRY RUN — nothing written\n' : ''}tenants considered ${r.tenantsConsidered}, with usage ${r.tenantsRated}; ` +
              `invoices created ${r.created}, drafts replaced ${r.replaced}, already final ${r.kept}, concurrent ${r.skipped}, finalized ${r.numbers.length}\n`,
          );
          process.stdout.write(
            formatTable(
              ['CURRENCY', 'INVOICES', 'SUBTOTAL', 'TAX', 'TOTAL'],
              Object.entries(r.totals).map(([c, t]) => [c, t.invoices, formatAmount(t.subtotal, c), formatAmount(t.tax, c), formatAmount(t.total, c)]),
            ),
          );
          return 0;
        }
        if (sub === 'list') {
          const all = await listInvoices(ctx, { period: values.period });
          process.stdout.write(
            values.json
              ? `${toJson(all)}\n`
              : formatTable(
                  ['NUMBER', 'TENANT', 'PERIOD', 'STATUS', 'CURRENCY', 'SUBTOTAL', 'TAX', 'TOTAL'],
                  all.map((i) => [i.number ?? 'draft', i.tenantId, i.period, i.status, i.currency, formatAmount(i.subtotal, i.currency), formatAmount(i.tax, i.currency), formatAmount(i.total, i.currency)]),
                ),
          );
          return 0;
        }
        const inv = await getInvoiceByNumber(ctx, positionals[0]);
        const tenant = await getTenant(ctx, inv.tenantId);
        const view = toInvoiceView(inv, tenant, cli.ctx.config.billingProvider);
        if (values.pdf) {
          writeFileSync(values.pdf, await renderInvoicePdf(view));
          process.stderr.write(`wrote ${values.pdf}\n`);
        }
        if (values.json) {
          process.stdout.write(`${toJson(view)}\n`);
          return 0;
        }
        process.stdout.write(`${view.title} ${view.number} — ${view.status}\n${view.tenant.company}\nPeriod ${view.period}  Issued ${view.issued}  Due ${view.due}\n\n`);
        for (const g of view.groups) {
          process.stdout.write(`${g.title} ${g.subtitle}\n`);
          process.stdout.write(formatTable(['DESCRIPTION', 'QUANTITY', 'UNIT', 'UNIT PRICE', 'AMOUNT'], g.lines.map((l) => [l.description, l.quantity, l.unit, l.unitPrice, l.amount])));
          process.stdout.write('\n');
        }
        process.stdout.write(`Subtotal ${view.subtotal} ${view.currency}\n${view.taxLabel} ${view.tax} ${view.currency}\nTotal ${view.total} ${view.currency}\n`);
        return 0;
      } finally {
        await cli.close();
      }
    }),
};
