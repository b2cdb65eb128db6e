// `kamikazi vms assign|history`: put a VM (Xen UUID) on a tenant's plan from a time; history is kept.
import { parseArgs } from 'node:util';
import type { Command } from '../cli.ts';
import { assignVm, listAssignments } from '../billing/catalogue/assign-vm.ts';
import { getPlan } from '../billing/catalogue/plans.ts';
import { createCliContext } from './context.ts';
import { formatTable } from './table.ts';
import { cliRun, parseDate, toJson } from './billing-args.ts';

const USAGE = `usage:
  kamikazi vms assign VM_UUID --tenant TENANT_ID --plan PLAN_ID|NAME [--from ISO_TIME]
  kamikazi vms history [VM_UUID] [--tenant TENANT_ID] [--json]
`;

export const command: Command = {
  summary: 'assign VMs to tenants and plans (closes the previous assignment), show assignment history',
  run: (args) =>
    cliRun(USAGE, async () => {
      const [sub, ...rest] = args;
      if (sub !== 'assign' && sub !== 'history') {
        process.stderr.write(USAGE);
        return 2;
      }
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { tenant: { type: 'string' }, plan: { type: 'string' }, from: { type: 'string' }, json: { type: 'boolean' } },
      });
      const cli = await createCliContext();
      try {
        if (sub === 'assign') {
          if (positionals.length !== 1 || !values.tenant || !values.plan) {
            process.stderr.write(USAGE);
            return 2;
          }
          const plan = await getPlan(cli.ctx, values.plan);
          const a = await assignVm(cli.ctx, { vmUuid: positionals[0], tenantId: values.tenant, planId: plan.id, from: parseDate('--from', values.from) });
          process.stdout.write(`VM ${a.vmUuid} → tenant ${a.tenantId}, plan ${plan.name}, from ${a.validFrom.toISOString()}\n`);
          return 0;
        }
        const all = await listAssignments(cli.ctx, { vmUuid: positionals[0], tenantId: values.tenant });
        process.stdout.write(
          values.json
            ? `${toJson(all)}\n`
            : formatTable(['VM', 'TENANT', 'PLAN', 'FROM', 'TO'], all.map((a) => [a.vmUuid, a.tenantId, a.planId, a.validFrom.toISOString(), a.validTo?.toISOString() ?? 'open'])),
        );
        return 0;
      } finally {
        await cli.close();
      }
    }),
};
