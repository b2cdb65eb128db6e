// `kamikazi collect [--once]`: one poll cycle over the due hosts with a per-host result table, or (without
// --once) the collector loop with the rollup and retention jobs until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import type { Command } from '../cli.ts';
import { runPollCycle, type CycleReport } from '../collectors/poll.ts';
import { startScheduler } from '../jobs/scheduler.ts';
import { createCliContext } from './context.ts';
import { formatTable } from './table.ts';

export function formatCycle(r: CycleReport): string {
  if (r.hosts.length === 0) return `no hosts due at ${r.startedAt.toISOString()}\n`;
  const table = formatTable(
    ['host', 'status', 'vms', 'continued', 'new-inc', 'booted', 'baseline', 'stale', 'anomalies', 'sample ms', 'error'],
    r.hosts.map((h) => [
      h.hostName, h.status, h.vms, h.counts?.continued, h.counts?.['new-incarnation'], h.counts?.['booted-since'],
      h.counts?.baseline, h.counts?.stale, h.anomalies, Math.round(h.sampleMs), h.error ?? '',
    ]),
  );
  const failed = r.hosts.filter((h) => h.status === 'failed').length;
  return `${table}${r.hosts.length} host(s), ${failed} failed, ${Math.round(r.durationMs)} ms\n`;
}

export const command: Command = {
  summary: 'poll due hosts once (--once, prints a table) or run the collector loop',
  async run(args) {
    const { values } = parseArgs({ args, options: { once: { type: 'boolean', default: false } }, strict: true });
    const cli = await createCliContext();
    if (values.once) {
      try {
        const report = await runPollCycle(cli.ctx);
        process.stdout.write(formatCycle(report));
        return report.hosts.some((h) => h.status === 'failed') ? 1 : 0;
      } finally {
        await cli.close();
      }
    }
    const scheduler = startScheduler(cli.ctx);
    cli.ctx.log.info({ intervalSeconds: cli.ctx.config.pollIntervalSeconds }, 'collector running (Ctrl-C to stop)');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await scheduler.stop();
    await cli.close();
    return 0;
  },
};
