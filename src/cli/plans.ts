// `kamikazi plans add|list`: price plans. Components come as JSON (tiers make flags unwieldy).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from '../cli.ts';
import { createPlan, listPlans } from '../billing/catalogue/plans.ts';
import { BillingError } from '../billing/errors.ts';
import { formatAmount } from '../billing/money.ts';
import { createCliContext } from './context.ts';
import { formatTable } from './table.ts';
import { cliRun, toJson } from './billing-args.ts';

const USAGE = `usage:
  kamikazi plans list [--json]
  kamikazi plans add NAME --currency EUR --base-price MINOR_UNITS [--cap MINOR_UNITS]
                     [--components JSON|@FILE] [--bandwidth JSON|@FILE]
    components: [{"component":"cpu_hours","included":"100","tiers":[{"upTo":"500","unitPrice":"0.01"},{"upTo":null,"unitPrice":"0.008"}]}]
    bandwidth:  {"model":"volume"} | {"model":"pooled"} | {"model":"p95","pricePerMbps":"1.50","includedMbps":"10"}
`;

function json(flag: string, v: string | undefined): unknown {
  if (v === undefined) return undefined;
  const text = v.startsWith('@') ? readFileSync(v.slice(1), 'utf8') : v;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BillingError('InvalidInput', `${flag}: not valid JSON (${(err as Error).message})`);
  }
}

export const command: Command = {
  summary: 'list or add price plans (base price, metered components, bandwidth model, cap)',
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
          currency: { type: 'string' }, 'base-price': { type: 'string' }, cap: { type: 'string' },
          components: { type: 'string' }, bandwidth: { type: 'string' }, json: { type: 'boolean' },
        },
      });
      const cli = await createCliContext();
      try {
        if (sub === 'add') {
          if (positionals.length !== 1 || !values.currency || values['base-price'] === undefined) {
            process.stderr.write(USAGE);
            return 2;
          }
          const p = await createPlan(cli.ctx, {
            name: positionals[0], currency: values.currency, basePrice: values['base-price'], monthlyCap: values.cap ?? null,
            components: json('--components', values.components) as never, bandwidth: json('--bandwidth', values.bandwidth) as never,
          });
          process.stdout.write(`plan ${p.id} ${p.name}\n`);
          return 0;
        }
        const all = await listPlans(cli.ctx);
        process.stdout.write(
          values.json
            ? `${toJson(all)}\n`
            : formatTable(
                ['ID', 'NAME', 'CURRENCY', 'BASE/MONTH', 'CAP', 'COMPONENTS', 'BANDWIDTH'],
                all.map((p) => [p.id, p.name, p.currency, formatAmount(p.basePrice, p.currency), p.monthlyCap === null ? null : formatAmount(p.monthlyCap, p.currency),
                  p.components.map((c) => c.component).join(','), p.bandwidth.model]),
              ),
        );
        return 0;
      } finally {
        await cli.close();
      }
    }),
};
