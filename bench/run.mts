// `npm run bench`: every benchmark, each figure printed beside a baseline measured in the same run.
// Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres); creates and drops kb_bench_* databases.
// Select parts with arguments: npm run bench -- ingest poll rollup invoice portal
import { benchInvoiceRun } from './invoice-run.ts';
import { benchIngest, benchPollCycle, benchRollup } from './metering.ts';
import { benchPortal } from './portal.ts';

type Bench = () => Promise<void>;
const all: Record<string, Bench> = {
  ingest: () => benchIngest(),
  poll: () => benchPollCycle(),
  rollup: () => benchRollup(Number(process.env.BENCH_ROLLUP_VMS ?? 1000), Number(process.env.BENCH_ROLLUP_DAYS ?? 30)),
  invoice: () => benchInvoiceRun(),
  portal: () => benchPortal(),
};

const wanted = process.argv.slice(2).filter((a) => a !== '--');
for (const name of wanted.length ? wanted : Object.keys(all)) {
  const bench = all[name];
  if (!bench) {
    process.stderr.write(`unknown benchmark ${name}; choose from: ${Object.keys(all).join(', ')}\n`);
    process.exit(2);
  }
  await bench();
}
