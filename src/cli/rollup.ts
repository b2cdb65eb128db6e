// `kamikazi rollup [--from ISO --to ISO]`: recompute the closed 5-minute, hour and day buckets of a window
// (default: from the start of yesterday, UTC, to now). Idempotent: running it twice changes nothing.
import { parseArgs } from 'node:util';
import type { Command } from '../cli.ts';
import { floorTo, rollupAll } from '../collectors/rollup.ts';
import { createCliContext } from './context.ts';
import { formatTable } from './table.ts';

function parseTime(v: string | undefined, flag: string): Date | undefined {
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime())) throw new Error(`${flag}: expected an ISO 8601 time such as 2025-03-01T00:00:00Z, got ${JSON.stringify(v)}`);
  return d;
}

export const command: Command = {
  summary: 'roll usage minutes up into 5-minute, hour and day buckets (--from/--to ISO)',
  async run(args) {
    const { values } = parseArgs({ args, options: { from: { type: 'string' }, to: { type: 'string' } }, strict: true });
    const cli = await createCliContext();
    try {
      const now = cli.ctx.clock.now();
      const from = parseTime(values.from, '--from') ?? new Date(floorTo(now, 86_400_000).getTime() - 86_400_000);
      const to = parseTime(values.to, '--to') ?? now;
      if (from >= to) throw new Error(`--from (${from.toISOString()}) must be before --to (${to.toISOString()})`);
      const results = await rollupAll(cli.ctx, { from, to });
      process.stdout.write(
        formatTable(
          ['grain', 'from', 'to', 'rows changed', 'note'],
          results.map((r) => [
            r.grain, r.from.toISOString(), r.to.toISOString(), r.changed,
            r.clampedFrom ? `clamped at the ${cli.ctx.config.minuteRetentionDays}-day minute retention horizon` : r.empty ? 'no closed bucket in window' : '',
          ]),
        ),
      );
      return 0;
    } finally {
      await cli.close();
    }
  },
};
