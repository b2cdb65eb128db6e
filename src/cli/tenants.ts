// `kamikazi tenants add|list|suspend|unsuspend`: the customers billing invoices, and operator suspension.
import { parseArgs } from 'node:util';
import type { Command } from '../cli.ts';
import { createTenant, listTenants } from '../billing/catalogue/tenants.ts';
import { suspendTenant, unsuspendTenant } from '../billing/catalogue/suspend-tenant.ts';
import type { VmPowerResult } from '../billing/dunning/vm-power.ts';
import type { AppContext } from '../context.ts';
import { userInfo } from 'node:os';
import type { PaymentProviderName } from '../billing/catalogue/types.ts';
import { createCliContext } from './context.ts';
import { formatTable } from './table.ts';
import { cliRun, toJson } from './billing-args.ts';

const USAGE = `usage:
  kamikazi tenants list [--json]
  kamikazi tenants suspend TENANT_ID --reason TEXT [--stop-vms]
  kamikazi tenants unsuspend TENANT_ID [--leave-stopped]
  kamikazi tenants add COMPANY --email BILLING_EMAIL --currency EUR [--address TEXT] [--tax-rate 19] [--tax-inclusive]
                       [--provider stripe|paypal|manual] [--customer-ref REF] [--billing-day 1-28] [--timezone Europe/Berlin]
`;

export const command: Command = {
  summary: 'list, add, suspend or unsuspend tenants (billing currency, tax, payment provider, billing day)',
  run: (args) =>
    cliRun(USAGE, async () => {
      const [sub, ...rest] = args;
      if (sub !== 'list' && sub !== 'add' && sub !== 'suspend' && sub !== 'unsuspend') {
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
          reason: { type: 'string' }, 'stop-vms': { type: 'boolean' }, 'leave-stopped': { type: 'boolean' },
        },
      });
      if ((sub === 'suspend' || sub === 'unsuspend') && (positionals.length !== 1 || (sub === 'suspend' && !values.reason))) {
        process.stderr.write(USAGE);
        return 2;
      }
      const cli = await createCliContext();
      try {
        if (sub === 'suspend' || sub === 'unsuspend') return await suspension(cli.ctx, sub, positionals[0], values);
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

function vmLines(r: VmPowerResult, verb: string): string {
  return [
    ...r.done.map((u) => `  ${verb} ${u}\n`),
    ...r.failed.map((f) => `  NOT ${verb} ${f.uuid}: ${f.error}\n`),
  ].join('');
}

/** The CLI acts as the operator at the shell: the audit log names the login user. */
async function suspension(ctx: AppContext, sub: 'suspend' | 'unsuspend', tenantId: string, values: { reason?: string; 'stop-vms'?: boolean; 'leave-stopped'?: boolean }): Promise<number> {
  let who = process.env.USER ?? 'unknown';
  try {
    who = userInfo().username;
  } catch {
    // no passwd entry (some containers): keep $USER
  }
  const by = { userId: null, label: `cli:${who}` };
  if (sub === 'suspend') {
    const r = await suspendTenant(ctx, { tenantId, reason: values.reason ?? '', stopVms: values['stop-vms'] ?? false, by });
    process.stdout.write(`tenant ${r.tenant.id} ${r.tenant.company} suspended; ${r.consolesClosed} console session(s) ended\n${vmLines(r.vms, 'shut down')}`);
    return r.vms.failed.length ? 1 : 0;
  }
  const r = await unsuspendTenant(ctx, { tenantId, startVms: !values['leave-stopped'], by });
  process.stdout.write(`tenant ${r.tenant.id} ${r.tenant.company} unsuspended\n${vmLines(r.vms, 'started')}`);
  return r.vms.failed.length ? 1 : 0;
}
