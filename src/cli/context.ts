// Builds the AppContext for CLI commands (and `kamikazi serve`): config, database (opened and migrated),
// the simulated fleet from SIM_SEED, the adapter provider and the payment providers. One place, so every command sees the same fleet.
import { systemClock, type Clock } from '../clock.ts';
import { loadConfig, type Config } from '../config.ts';
import type { AppContext } from '../context.ts';
import { migrateDatabase, openDatabase, type Database } from '../db/client.ts';
import { installPostgresJsGuard } from '../db/postgres-js-guard.ts';
import { createLogger, type Logger } from '../log.ts';
import { createAdapterProvider } from '../hosts/provider.ts';
import { createProviderRegistry } from '../billing/payments/select.ts';
import { createSimFleet, type SimFleet } from '../hosts/sim/fleet.ts';
import { resolveSecretKey } from '../auth/secret-key.ts';
import type { SimEventRates } from '../hosts/sim/types.ts';

/**
 * The simulated fleet's epoch. Fixed (not "now") so every process and every restart with the same
 * SIM_SEED sees the same domains, domids and counters at the same instant: collectors on several
 * processes agree, and usage continues across restarts instead of looking like counter resets.
 */
export const SIM_EPOCH = new Date(Date.UTC(2025, 0, 1));
export const DEFAULT_SIM_HOSTS = 4;
export const DEFAULT_SIM_VMS_PER_HOST = 5;
/** A lively but plausible default: reboots, shutdowns, migrations and host outages a few times a month. */
export const DEFAULT_SIM_EVENTS: SimEventRates = { rebootsPerDay: 0.1, shutdownsPerDay: 0.05, migrationsPerDay: 0.05, hostOutagesPerDay: 0.05 };

export interface CliContextOptions {
  clock?: Clock;
  config?: Config;
  log?: Logger;
  sim?: { hosts?: number; vmsPerHost?: number; events?: Partial<SimEventRates> };
}

export interface CliContext {
  ctx: AppContext;
  database: Database;
  fleet: SimFleet;
  close(): Promise<void>;
}

export async function createCliContext(opts: CliContextOptions = {}): Promise<CliContext> {
  const loaded = opts.config ?? loadConfig();
  // SECRET_KEY, or the embedded database's own key file in DATA_DIR (created on first use).
  const config: Config = { ...loaded, secretKey: resolveSecretKey(loaded) };
  const log = opts.log ?? createLogger(config.logLevel);
  const clock = opts.clock ?? systemClock;
  let database: Database;
  if (config.databaseUrl) {
    installPostgresJsGuard(log); // a database restart must not take the process down (see the module)
    await migrateDatabase({ url: config.databaseUrl });
    database = await openDatabase({ url: config.databaseUrl });
  } else {
    database = await openDatabase({ dataDir: config.dataDir });
    await migrateDatabase({ database });
  }
  const fleet = createSimFleet({
    seed: config.simSeed,
    start: SIM_EPOCH,
    hosts: opts.sim?.hosts ?? DEFAULT_SIM_HOSTS,
    vmsPerHost: opts.sim?.vmsPerHost ?? DEFAULT_SIM_VMS_PER_HOST,
    events: { ...DEFAULT_SIM_EVENTS, ...opts.sim?.events },
  });
  const hosts = createAdapterProvider({ fleet, clock, config, log });
  const payments = createProviderRegistry(config.payments, clock);
  const ctx: AppContext = { db: database.db, clock, log, config, hosts, payments };
  return {
    ctx,
    database,
    fleet,
    async close() {
      await hosts.closeAll();
      await database.close();
    },
  };
}
