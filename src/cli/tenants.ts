// `kamikazi tenants add|list`: the customers billing invoices.
import { parseArgs } from 'node:util';
import type { Command } from '../cli.ts';
import { createTenant, listTenants } from '../billing/catalogue/tenants.ts';
import type { PaymentProviderName } from '../billing/catalogue/types.ts';
import { createCliContext } from './context.ts';
import { formatTable } from './table.ts';
import { cliRun, toJson } from './billing-args.ts';

const USAGE = `usage:
  kamikazi tenants list [--json]
  kamikazi tenants add COMPANY --email BILLING_EMAIL --currency EUR [--address TEXT] [--tax-rate 19] [--tax-inclusive]
                       [--provider stripe|paypal|manual] [--customer-ref REF] [--billing-day 1-28] [--timezone Europe/Berlin]
`;

export const command: Command = {
  summary: 'list or add tenants (billing currency, tax, payment provider, billing day)',
  run: (args) =>
    cliRun(USAGE, async () => {
      const [sub, ...rest] = args;
      if (sub !== 'list' && sub !== 'add') {
        process.stderr.write(USAGE);
        return 2;
      }
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          email: { type: 'string' }, currency: { type: 'string' }, address: { type: 'string' }, 'tax-rate': { type: 'string' },
          'tax-inclusive': { type: 'boolean' }, provider: { type: 'string' }, 'customer-ref': { type: 'string' },
          'billing-day': { type: 'string' }, timezone: { type: 'string' }, json: { type: 'boolean' },
        },
      });
      const cli = await createCliContext();
      try {
        if (sub === 'add') {
          if (positionals.length !== 1 || !values.email || !values.currency) {
            process.stderr.write(USAGE);
            return 2;
          }
          const t = await createTenant(cli.ctx, {
            company: positionals[0], billingEmail: values.email, currency: values.currency, billingAddress: values.address?.replace(/\\n/g, '\n'),
            taxRatePercent: values['tax-rate'], pricesIncludeTax: values['tax-inclusive'] ?? false,
            paymentProvider: values.provider as PaymentProviderName | undefined, providerCustomerRef: values['customer-ref'],
            billingDay: values['billing-day'] === undefined ? undefined : Number(values['billing-day']), timezone: values.timezone,
          });
          process.stdout.write(`tenant ${t.id} ${t.company} (${t.currency})\n`);
          return 0;
        }
        const all = await listTenants(cli.ctx);
        process.stdout.write(
          values.json
            ? `${toJson(all)}\n`
            : formatTable(
                ['ID', 'COMPANY', 'CURRENCY', 'TAX %', 'INCL', 'PROVIDER', 'DAY', 'TIMEZONE', 'STATUS'],
                all.map((t) => [t.id, t.company, t.currency, t.taxRatePercent, t.pricesIncludeTax ? 'yes' : 'no', t.paymentProvider, t.billingDay, t.timezone, t.status]),
              ),
        );
        return 0;
      } finally {
        await cli.close();
      }
    }),
};
