// `kamikazi migrate`: apply committed migrations to DATABASE_URL or the embedded PGlite, then encrypt any
// TOTP secret still stored in plain form (a data step SQL cannot do: the key is not in the database).
import type { Command } from '../cli.ts';
import { loadConfig } from '../config.ts';
import { migrateDatabase, openDatabase, type Database } from '../db/client.ts';
import { systemClock } from '../clock.ts';
import { resolveSecretKey } from '../auth/secret-key.ts';
import { sealPlainTotpKeys } from '../auth/totp.ts';

export const command: Command = {
  summary: 'apply database migrations (also done at start)',
  async run() {
    const config = loadConfig();
    let database: Database;
    if (config.databaseUrl) {
      await migrateDatabase({ url: config.databaseUrl });
      database = await openDatabase({ url: config.databaseUrl, max: 1 });
    } else {
      database = await openDatabase({ dataDir: config.dataDir });
      await migrateDatabase({ database });
    }
    const secretKey = resolveSecretKey(config);
    let note = '';
    try {
      if (secretKey) {
        const n = await sealPlainTotpKeys({ db: database.db, clock: systemClock, config: { secretKey } });
        if (n) note = `; encrypted ${n} TOTP secret(s)`;
      } else {
        note = '; SECRET_KEY not set: TOTP secrets stored before encryption stay plain until `serve` runs with it';
      }
    } finally {
      await database.close();
    }
    process.stdout.write(`migrations applied to ${config.databaseUrl ? 'PostgreSQL' : `PGlite in ${config.dataDir}`}${note}\n`);
    return 0;
  },
};
