// `kamikazi tithe statement --period YYYY-MM` (earned, owed, sent; ties out to the ledger) and `kamikazi tithe settle`
// (the same locked job the scheduler runs daily, so a manual run and a replica never settle at once).
import type { Command } from '../cli.ts';
import { titheStatement } from '../billing/tithe/statement.ts';
import { formatTitheStatement } from '../billing/tithe/format.ts';
import type { SettleReport } from '../billing/tithe/settle.ts';
import { runBillingJob } from '../jobs/billing-jobs.ts';
import { createCliContext } from './context.ts';

const USAGE = 'usage: kamikazi tithe statement --period YYYY-MM | kamikazi tithe settle\n';

export const command: Command = {
  summary: 'tithe statement (ties out to the ledger) and settlement',
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== 'statement' && sub !== 'settle') {
      process.stderr.write(USAGE);
      return 2;
    }
    let period: string | undefined;
    if (sub === 'statement') {
      const i = rest.indexOf('--period');
      period = i >= 0 ? rest[i + 1] : undefined;
      if (!period || !/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) {
        process.stderr.write(`kamikazi tithe statement: --period YYYY-MM is required (e.g. --period 2026-03)\n`);
        return 2;
      }
    }
    const cli = await createCliContext();
    try {
      if (period) {
        const { text, ok } = formatTitheStatement(period, await titheStatement(cli.ctx.db, period));
        process.stdout.write(text);
        return ok ? 0 : 1;
      }
      const run = await runBillingJob(cli.ctx, 'titheSettlement');
      if (!run.ran) {
        process.stdout.write('tithe settlement: another process is settling right now; nothing done\n');
        return 0;
      }
      const r = run.result as SettleReport;
      const back = r.recovered || r.unrecoverable || r.netted ? `; owed back: ${r.recovered} recovered, ${r.unrecoverable} left to net, ${r.netted} netted` : '';
      process.stdout.write(`tithe settlement: ${r.created} queued, ${r.sent} sent, ${r.failed} failed${back}\n`);
      return r.failed ? 1 : 0;
    } finally {
      await cli.close();
    }
  },
};
