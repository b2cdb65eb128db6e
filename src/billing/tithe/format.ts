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
    if (l.openingOwedBack !== 0n) out.push(`       opening owed back by upstream ${formatAmount(l.openingOwedBack, l.currency)}`);
    out.push(`       earned       ${f(l.earned)}`);
    out.push(`       reversed     ${f(l.reversed)}`);
    out.push(`       sent         ${f(l.sent)}`);
    if (l.claimed !== 0n || l.recovered !== 0n || l.netted !== 0n || l.closingOwedBack !== 0n) {
      out.push(`       claimed back ${f(l.claimed)}  (reversed after it was sent)`);
      out.push(`       recovered    ${f(l.recovered)}`);
      out.push(`       netted       ${f(l.netted)}`);
    }
    out.push(`       owed (payable at end) ${formatAmount(l.closingOwed, l.currency)}`);
    if (l.closingOwedBack !== 0n) {
      out.push(`       owed back by upstream at end ${formatAmount(l.closingOwedBack, l.currency)} (netted off the next settlement)`);
      out.push(`       net owed to upstream ${formatAmount(l.closingOwed - l.closingOwedBack, l.currency)}`);
    }
    const diffs = Object.entries(l.differences);
    if (!diffs.length) out.push('       tie-out: OK');
    for (const [k, v] of diffs) {
      ok = false;
      out.push(`       tie-out DIFFERENCE ${k}: ${formatAmount(v, l.currency)} ${l.currency}`);
    }
  }
  return { text: out.join('\n') + '\n', ok };
}
