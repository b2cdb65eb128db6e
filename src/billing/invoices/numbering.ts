// Gapless invoice / credit-note numbers: a counter row per series locked FOR UPDATE inside the finalizing
// transaction (never a sequence, which skips values on rollback). A rolled-back finalization returns its numbers.
import { rows, sql, type Db } from '../../db/client.ts';

export const INVOICE_PREFIX = 'KZ';
export const CREDIT_NOTE_PREFIX = 'KZC';

/** 'KZ-2026' for invoices finalized in 2026 (UTC). */
export function seriesFor(prefix: string, at: Date): string {
  return `${prefix}-${at.getUTCFullYear()}`;
}

export function formatNumber(series: string, value: bigint): string {
  return `${series}-${value.toString().padStart(6, '0')}`;
}

/** Reserve `count` consecutive numbers of `series`; must run inside the transaction that uses them. */
export async function reserveNumbers(tx: Db, series: string, count: number): Promise<string[]> {
  if (count <= 0) return [];
  await rows(tx, sql`insert into invoice_number_counters (series, last_value) values (${series}, 0) on conflict (series) do nothing`);
  const [row] = await rows<{ last: string }>(tx, sql`select last_value::text as last from invoice_number_counters where series = ${series} for update`);
  const last = BigInt(row.last);
  await rows(tx, sql`update invoice_number_counters set last_value = ${(last + BigInt(count)).toString()}::bigint where series = ${series}`);
  return Array.from({ length: count }, (_, i) => formatNumber(series, last + 1n + BigInt(i)));
}
