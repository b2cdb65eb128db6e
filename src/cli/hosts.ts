// `kamikazi hosts add|list|remove`: the host inventory the collectors poll.
import { parseArgs } from 'node:util';
import type { Command } from '../cli.ts';
import { addHost, listHosts, removeHost, type AddHostInput } from '../hosts/registry.ts';
import { createCliContext } from './context.ts';
import { formatTable } from './table.ts';
import { cliRun } from './billing-args.ts';

const USAGE = `usage:
  kamikazi hosts list [--json]
  kamikazi hosts add NAME --adapter ssh --address ADDR [--port 22] --user USER --key PATH --host-key SHA256:... [--sysfs-root DIR]
  kamikazi hosts add NAME --adapter local [--sysfs-root DIR]
  kamikazi hosts add NAME --adapter sim          (a host of the simulated fleet, e.g. sim-01)
  kamikazi hosts remove NAME|ID
`;

export const command: Command = {
  summary: 'list, add or remove Xen hosts (ssh, local or sim adapter)',
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== 'list' && sub !== 'add' && sub !== 'remove') {
      process.stderr.write(USAGE);
      return 2;
    }
    // cliRun: a bad flag prints the usage (exit 2); registry errors name what to fix (exit 1, from the CLI's top level).
    return cliRun(USAGE, () => hostsCommand(sub, rest));
  },
};

async function hostsCommand(sub: 'list' | 'add' | 'remove', rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      adapter: { type: 'string' },
      address: { type: 'string' },
      port: { type: 'string' },
      user: { type: 'string' },
      key: { type: 'string' },
      'host-key': { type: 'string' },
      'sysfs-root': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const cli = await createCliContext();
  try {
    const db = cli.ctx.db;
    if (sub === 'list') {
      const all = await listHosts(db);
      if (values.json) {
        process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
      } else {
        process.stdout.write(
          formatTable(
            ['NAME', 'ADAPTER', 'ADDRESS', 'ENABLED', 'LAST SUCCESS', 'FAILURES', 'LAST ERROR'],
            all.map((h) => [
              h.name,
              h.adapter,
              h.address ? `${h.username ?? ''}@${h.address}:${h.port}` : null,
              h.enabled ? 'yes' : 'no',
              h.lastSuccessAt?.toISOString() ?? 'never',
              h.consecutiveFailures,
              h.lastError?.slice(0, 60) ?? null,
            ]),
          ),
        );
      }
      return 0;
    }
    const name = positionals[0];
    if (!name) {
      process.stderr.write(USAGE);
      return 2;
    }
    if (sub === 'remove') {
      const h = await removeHost(db, name);
      await cli.ctx.hosts.forget(h.id);
      process.stdout.write(`removed host ${h.name} (${h.id}); its usage history is kept\n`);
      return 0;
    }
    const input: AddHostInput = {
      name,
      adapter: values.adapter as AddHostInput['adapter'],
      address: values.address,
      port: values.port === undefined ? undefined : Number(values.port),
      username: values.user,
      keyPath: values.key,
      hostKey: values['host-key'],
      sysfsRoot: values['sysfs-root'],
    };
    const h = await addHost(db, input);
    process.stdout.write(`added host ${h.name} (${h.id}, ${h.adapter}); it is polled from the next cycle\n`);
    return 0;
  } finally {
    await cli.close();
  }
}
