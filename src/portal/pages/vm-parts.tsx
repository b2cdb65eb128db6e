// Small pieces shared by VM pages: state badge, number formats.
import type { FC } from 'hono/jsx';
import type { LiveState } from '../queries/live-state.ts';

export const StateBadge: FC<{ live?: LiveState; fallback: string }> = ({ live, fallback }) => {
  const state = live?.state ?? fallback;
  return (
    <span class={`state state-${state.replace(/[^a-z]/g, '')}`} data-state={state} title={live && !live.live ? 'host unreachable: last polled state' : 'live'}>
      {state}
      {live && !live.live ? ' (last seen)' : ''}
    </span>
  );
};

export function fmtDate(d: Date | null | undefined): string {
  return d ? d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '—';
}

/** Exact decimal string ÷ bigint divisor, shown with `digits` decimals (display only). */
export function fmtQuantity(value: string, divisor: bigint, digits = 2): string {
  const [i, f = ''] = value.split('.');
  const scaled = BigInt(i + f) * 10n ** BigInt(digits);
  const den = divisor * 10n ** BigInt(f.length);
  const q = scaled / den;
  const s = q.toString().padStart(digits + 1, '0');
  return digits ? `${s.slice(0, -digits)}.${s.slice(-digits)}` : s;
}

export function fmtDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d ? `${d}d ${h}h ${m}m` : h ? `${h}h ${m}m` : `${m}m`;
}
