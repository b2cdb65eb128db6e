#!/usr/bin/env node
// The `kamikazi` command: dispatches to one module per subcommand (loaded lazily so `parse` stays fast).
export interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

const commands: Record<string, () => Promise<{ command: Command }>> = {
  serve: () => import('./cli/serve.ts'),
  migrate: () => import('./cli/migrate.ts'),
  tithe: () => import('./cli/tithe.ts'),
  collect: () => import('./cli/collect.ts'),
  rollup: () => import('./cli/rollup.ts'),
  demo: () => import('./cli/demo.ts'),
  hosts: () => import('./cli/hosts.ts'),
  parse: () => import('./cli/parse.ts'),
  tenants: () => import('./cli/tenants.ts'),
  plans: () => import('./cli/plans.ts'),
  vms: () => import('./cli/vms.ts'),
  invoice: () => import('./cli/invoice.ts'),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const lines = await Promise.all(
      Object.entries(commands).map(async ([n, load]) => `  ${n.padEnd(10)} ${(await load()).command.summary}`),
    );
    process.stdout.write(`usage: kamikazi <command> [options]\n\ncommands:\n${lines.join('\n')}\n`);
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`kamikazi: unknown command "${name}" (try: kamikazi --help)\n`);
    return 2;
  }
  return (await load()).command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`kamikazi: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
