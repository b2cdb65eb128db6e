// Text rendering of the tithe statement for the CLI: amounts with the currency's minor digits, OK or the differences.
import { formatAmount } from '../money.ts';
import type { TitheStatementLine } from './statement.ts';

export function formatTitheStatement(period: string, lines: TitheStatementLine[]): { text: string; ok: boolean } {
  const out = [`tithe statement ${period}`];
  let ok = true;
  if (!lines.length) out.push('  no tithe activity');
  for (const l of lines) {
    const f = (v: bigint) => formatAmount(v, l.currency).padStart(14);
    out.push(`  ${l.currency}  opening owed ${f(l.openingOwed)}`);
    out.push(`       earned       ${f(l.earned)}`);
    out.push(`       reversed     ${f(l.reversed)}`);
    out.push(`       sent         ${f(l.sent)}`);
    out.push(`       owed (payable at end) ${formatAmount(l.closingOwed, l.currency)}`);
    const diffs = Object.entries(l.differences);
    if (!diffs.length) out.push('       tie-out: OK');
    for (const [k, v] of diffs) {
      ok = false;
      out.push(`       tie-out DIFFERENCE ${k}: ${formatAmount(v, l.currency)} ${l.currency}`);
    }
  }
  return { text: out.join('\n') + '\n', ok };
}
