// `npm run bench`: every benchmark, each figure printed beside a baseline measured in the same run.
// Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres); creates and drops kb_bench_* databases.
// Select parts with arguments: npm run bench -- ingest poll rollup invoice portal
//
// Each benchmark's modules load only when it runs: the poll benchmark measures the collector process's RSS,
// which the portal benchmark's autocannon or the invoice run's PDF code would otherwise inflate (V8 sizes the
// heap in proportion to what is live in it).

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
for (const name of wanted.length ? wanted : Object.keys(all)) {
  const bench = all[name];
  if (!bench) {
    process.stderr.write(`unknown benchmark ${name}; choose from: ${Object.keys(all).join(', ')}\n`);
    process.exit(2);
  }
  await bench();
}
