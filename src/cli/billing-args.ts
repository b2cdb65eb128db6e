// Shared helpers for the billing CLI commands: domain errors → exit code 1 with the message, JSON with bigints.
import { BillingError } from '../billing/errors.ts';

export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2);
}

/** Run a CLI body; BillingErrors print their message (they say what to fix) and exit 1. */
export async function cliRun(usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof BillingError) {
      process.stderr.write(`kamikazi: ${err.message}\n`);
      return 1;
    }
    if (err instanceof TypeError && /parseArgs|ERR_PARSE_ARGS/.test(String((err as { code?: string }).code ?? err.message))) {
      process.stderr.write(`${err.message}\n${usage}`);
      return 2;
    }
    throw err;
  }
}

export function parseDate(flag: string, v: string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new BillingError('InvalidInput', `${flag} "${v}": expected an ISO 8601 time such as 2026-03-15T00:00:00Z`);
  return d;
}
