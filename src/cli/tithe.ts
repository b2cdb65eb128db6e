// `kamikazi tithe statement --period YYYY-MM` (earned, owed, sent; ties out to the ledger) and `kamikazi tithe settle`.
import type { Command } from '../cli.ts';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { systemClock } from '../clock.ts';
import { createLogger } from '../log.ts';
import { titheStatement } from '../billing/tithe/statement.ts';
import { formatTitheStatement } from '../billing/tithe/format.ts';
import { settleTithes } from '../billing/tithe/settle.ts';
import { createProviderRegistry } from '../billing/payments/select.ts';

const USAGE = 'usage: kamikazi tithe statement --period YYYY-MM | kamikazi tithe settle\n';

export const command: Command = {
  summary: 'tithe statement (ties out to the ledger) and settlement',
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== 'statement' && sub !== 'settle') {
      process.stderr.write(USAGE);
      return 2;
    }
    const config = loadConfig();
    const database = await openDatabase(config.databaseUrl ? { url: config.databaseUrl, max: 2 } : { dataDir: config.dataDir });
    try {
      if (sub === 'statement') {
        const i = rest.indexOf('--period');
        const period = i >= 0 ? rest[i + 1] : undefined;
        if (!period || !/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) {
          process.stderr.write(`kamikazi tithe statement: --period YYYY-MM is required (e.g. --period 2026-03)\n`);
          return 2;
        }
        const { text, ok } = formatTitheStatement(period, await titheStatement(database.db, period));
        process.stdout.write(text);
        return ok ? 0 : 1;
      }
      const log = createLogger(config.logLevel);
      const providers = createProviderRegistry(config.payments, systemClock);
      const r = await settleTithes({ db: database.db, clock: systemClock, log, payments: config.payments, providers });
      process.stdout.write(`tithe settlement: ${r.created} queued, ${r.sent} sent, ${r.failed} failed\n`);
      return r.failed ? 1 : 0;
    } finally {
      await database.close();
    }
  },
};
