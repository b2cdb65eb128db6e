// Shared bench plumbing: a throwaway PostgreSQL database per run, timing and ratio printing.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { migrateDatabase, openDatabase, withNoDelay, type Database } from '../src/db/client.ts';

export const BENCH_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDb {
  database: Database;
  url: string;
  /** A raw postgres.js client of its own (COPY and baselines), not shared with drizzle. */
  raw: postgres.Sql;
  drop(): Promise<void>;
}

export async function createBenchDatabase(label: string): Promise<BenchDb> {
  const admin = postgres(BENCH_URL, { max: 1, onnotice: () => {} });
  const name = `kb_bench_${label}_${randomBytes(3).toString('hex')}`;
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const u = new URL(BENCH_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  await migrateDatabase({ url });
  const database = await openDatabase({ url, max: 8 });
  const raw = postgres(url, withNoDelay({ max: 4, onnotice: () => {} }));
  return {
    database,
    url,
    raw,
    async drop() {
      await raw.end();
      await database.close();
      const a = postgres(BENCH_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${name}" with (force)`);
      await a.end();
    },
  };
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function report(title: string, lines: Array<[string, string]>): void {
  const w = Math.max(...lines.map(([k]) => k.length));
  process.stdout.write(`\n== ${title}\n${lines.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n')}\n`);
}

export function progress(msg: string): void {
  process.stderr.write(`  … ${msg}\n`);
}
