// `npm run bench`: every benchmark, each figure printed beside a baseline measured in the same run.
// Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres); creates and drops kb_bench_* databases.
// Select parts with arguments: npm run bench -- ingest poll rollup invoice portal
//
// Each benchmark runs in a process of its own (this file again, with the same node flags) and loads only its
// own modules: the poll benchmark measures the collector process's RSS, which another benchmark's heap, or the
// portal benchmark's autocannon and the invoice run's PDF code, would otherwise inflate (V8 sizes the heap in
// proportion to what is live in it).
import { spawnSync } from 'node:child_process';

type Bench = () => Promise<void>;
const all: Record<string, Bench> = {
  ingest: async () => (await import('./metering.ts')).benchIngest(),
  poll: async () => (await import('./metering.ts')).benchPollCycle(),
  rollup: async () =>
    (await import('./metering.ts')).benchRollup(Number(process.env.BENCH_ROLLUP_VMS ?? 1000), Number(process.env.BENCH_ROLLUP_DAYS ?? 30)),
  invoice: async () => (await import('./invoice-run.ts')).benchInvoiceRun(),
  portal: async () => (await import('./portal.ts')).benchPortal(),
};

const wanted = process.argv.slice(2).filter((a) => a !== '--');
const names = wanted.length ? wanted : Object.keys(all);
const unknown = names.find((n) => !all[n]);
if (unknown) {
  process.stderr.write(`unknown benchmark ${unknown}; choose from: ${Object.keys(all).join(', ')}\n`);
  process.exit(2);
}
if (names.length === 1) {
  await all[names[0]!]!();
} else {
  for (const name of names) {
    const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, name], { stdio: 'inherit' });
    if (r.status !== 0) {
      process.stderr.write(`benchmark ${name} failed (exit ${r.status ?? r.signal})\n`);
      process.exit(1);
    }
  }
}
