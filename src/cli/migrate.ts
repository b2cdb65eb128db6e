// `kamikazi migrate`: apply committed migrations to DATABASE_URL or the embedded PGlite.
import type { Command } from '../cli.ts';
import { loadConfig } from '../config.ts';
import { migrateDatabase, openDatabase } from '../db/client.ts';

export const command: Command = {
  summary: 'apply database migrations (also done at start)',
  async run() {
    const config = loadConfig();
    if (config.databaseUrl) {
      await migrateDatabase({ url: config.databaseUrl });
    } else {
      const database = await openDatabase({ dataDir: config.dataDir });
      await migrateDatabase({ database });
      await database.close();
    }
    process.stdout.write(`migrations applied to ${config.databaseUrl ? 'PostgreSQL' : `PGlite in ${config.dataDir}`}\n`);
    return 0;
  },
};
