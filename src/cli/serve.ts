// `kamikazi serve` (= npm start): migrate, seed a demo on an empty database, start the scheduler and the HTTP server.
import { parseArgs } from 'node:util';
import type { Command } from '../cli.ts';
import { listHosts } from '../hosts/registry.ts';
import { startScheduler } from '../jobs/scheduler.ts';
import { startBillingJobs } from '../jobs/billing-jobs.ts';
import { createCliContext } from './context.ts';
import { startServer } from '../portal/server.ts';
import { loadConfig } from '../config.ts';
import { requireSecretKey, resolveSecretKey } from '../auth/secret-key.ts';
import { sealPlainTotpKeys } from '../auth/totp.ts';

export const command: Command = {
  summary: 'run the service: collectors, scheduler, portal and API (npm start)',
  async run(args) {
    const { values } = parseArgs({ args, options: { port: { type: 'string' }, 'no-scheduler': { type: 'boolean' } } });
    // Before anything opens: without the key, stored TOTP secrets could be neither written nor read.
    const loaded = loadConfig();
    requireSecretKey({ secretKey: resolveSecretKey(loaded) });
    const cli = await createCliContext({ config: loaded });
    const { ctx, database } = cli;
    const { config, log } = ctx;
    const sealed = await sealPlainTotpKeys(ctx);
    if (sealed) log.info({ users: sealed }, 'encrypted TOTP secrets stored before encryption at rest');
    const port = values.port === undefined ? config.port : Number(values.port);

    const hosts = await listHosts(ctx.db);
    if (hosts.length === 0 && config.demoSeed) {
      const { seedDemo } = await import('../demo/seed.ts');
      const demo = await seedDemo(ctx, cli.fleet);
      // The summary carries the one-time demo passwords: stdout only, never the log.
      log.info({ hosts: demo.hosts, vms: demo.vms, tenants: demo.tenants }, 'empty database: seeded a demo');
      process.stdout.write(`${demo.summary}\n`);
    }

    const scheduled = config.scheduler && !values['no-scheduler'];
    const scheduler = scheduled ? startScheduler(ctx) : null;
    // Invoice run, dunning and tithe settlement: daily crons, each under its own advisory lock.
    const billingJobs = scheduled ? startBillingJobs(ctx) : null;
    const server = await startServer(ctx, port, config.host);
    const dbWhere = database.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${config.dataDir}`;
    process.stdout.write(
      [
        `kamikazi-billing is running`,
        `  portal      ${server.url}/`,
        `  health      ${server.url}/healthz`,
        `  metrics     ${server.url}/metrics`,
        `  database    ${dbWhere}`,
        `  scheduler   ${scheduler ? `polling every ${config.pollIntervalSeconds}s, rollups, billing jobs` : 'off'}`,
        `  hosts       ${(await listHosts(ctx.db)).map((h) => `${h.name} (${h.adapter})`).join(', ') || 'none (kamikazi hosts add …)'}`,
        '',
      ].join('\n'),
    );

    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    log.info('shutting down');
    await scheduler?.stop();
    await billingJobs?.stop();
    await server.close();
    await cli.close();
    return 0;
  },
};
