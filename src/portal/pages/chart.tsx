// Usage charts as inline SVG drawn on the server: no script needed. Failed polls are shaded red.
import type { FC } from 'hono/jsx';
import { raw } from 'hono/html';
import type { UsageSeries } from '../../collectors/usage-series.ts';
import type { Meter } from '../../db/schema/usage.ts';
import { escapeHtml } from '../render.ts';

export interface ChartSpec {
  title: string;
  meters: Meter[];
  /** Converts a bin's summed meter value into the unit shown (display only: floats are fine here). */
  scale: (sum: number, binSeconds: number) => number;
  unit: string;
}

export const CHARTS: ChartSpec[] = [
  { title: 'CPU', meters: ['cpu_seconds'], scale: (v, s) => v / s, unit: 'cores' },
  { title: 'Memory', meters: ['mem_mib_seconds'], scale: (v, s) => v / s, unit: 'MiB' },
  { title: 'Disk read', meters: ['disk_read_bytes'], scale: (v, s) => v / s, unit: 'B/s' },
  { title: 'Disk write', meters: ['disk_write_bytes'], scale: (v, s) => v / s, unit: 'B/s' },
  { title: 'Network in', meters: ['net_rx_bytes'], scale: (v, s) => (v * 8) / s, unit: 'bit/s' },
  { title: 'Network out', meters: ['net_tx_bytes'], scale: (v, s) => (v * 8) / s, unit: 'bit/s' },
];

const W = 600;
const H = 170;
const L = 56;
const R = 8;
const T = 22;
const B = 20;

export function humanNumber(n: number): string {
  const units = ['', 'k', 'M', 'G', 'T', 'P'];
  let i = 0;
  let v = Math.abs(n);
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  const s = v >= 100 || v === 0 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${n < 0 ? '-' : ''}${s}${units[i]}`;
}

function fmtTime(d: Date, spanMs: number): string {
  const iso = d.toISOString();
  return spanMs <= 2 * 86_400_000 ? `${iso.slice(11, 16)}Z` : iso.slice(5, 10);
}

export const UsageChart: FC<{ series: UsageSeries; spec: ChartSpec }> = ({ series, spec }) => {
  const from = series.from.getTime();
  const to = series.to.getTime();
  const span = Math.max(1, to - from);
  const binMs = series.binSeconds * 1000;
  const byT = new Map(series.points.map((p) => [p.t.getTime(), p]));
  const values: { t: number; v: number }[] = [];
  const first = Math.floor(from / binMs) * binMs;
  for (let t = first; t < to; t += binMs) {
    const p = byT.get(t);
    const sum = p ? spec.meters.reduce((a, m) => a + Number(p.values[m]), 0) : 0;
    values.push({ t, v: spec.scale(sum, series.binSeconds) });
  }
  const max = Math.max(...values.map((x) => x.v), 0) || 1;
  const x = (t: number) => L + ((Math.min(Math.max(t, from), to) - from) / span) * (W - L - R);
  const y = (v: number) => T + (1 - v / max) * (H - T - B);
  const line = values.map((p) => `${x(p.t + binMs / 2).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const area = values.length ? `${x(values[0].t + binMs / 2).toFixed(1)},${y(0)} ${line} ${x(values[values.length - 1].t + binMs / 2).toFixed(1)},${y(0)}` : '';
  const gapW = Math.max(2, (binMs / span) * (W - L - R));
  const total = values.reduce((a, p) => a + p.v, 0);
  const label = `${spec.title}: average ${humanNumber(total / Math.max(1, values.length))} ${spec.unit}, peak ${humanNumber(max === 1 && total === 0 ? 0 : max)} ${spec.unit}${series.gaps.length ? `, ${series.gaps.length} failed poll(s)` : ''}`;
  const top = humanNumber(max === 1 && total === 0 ? 0 : max);
  // The SVG is written as a string: hono/jsx renders <svg> through AsyncLocalStorage (see render.ts).
  const text = (x: number, y: number, t: string, end = false) => `<text x="${x}" y="${y}"${end ? ' text-anchor="end"' : ''}>${escapeHtml(t)}</text>`;
  const svg =
    `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(label)}" xmlns="http://www.w3.org/2000/svg"><title>${escapeHtml(label)}</title>` +
    text(L, 14, `${spec.title} (${spec.unit})`) +
    `<line class="axis" x1="${L}" y1="${y(0)}" x2="${W - R}" y2="${y(0)}"></line><line class="axis" x1="${L}" y1="${T}" x2="${L}" y2="${y(0)}"></line>` +
    text(L - 4, T + 4, top, true) +
    text(L - 4, y(0), '0', true) +
    text(L, H - 4, fmtTime(series.from, span)) +
    text(W - R, H - 4, fmtTime(series.to, span), true) +
    series.gaps
      .map(
        (g) =>
          `<rect class="gap" x="${(x(g.at.getTime()) - gapW / 2).toFixed(1)}" y="${T}" width="${gapW.toFixed(1)}" height="${H - T - B}">` +
          `<title>${escapeHtml(`poll failed at ${g.at.toISOString()}: ${g.error}`)}</title></rect>`,
      )
      .join('') +
    (area ? `<polygon class="area" points="${area}"></polygon>` : '') +
    (line ? `<polyline class="line" points="${line}"></polyline>` : '') +
    '</svg>';
  return (
    <figure class="chart card" data-meter={spec.meters.join(',')}>
      {raw(svg)}
      <figcaption class="muted">{label}</figcaption>
    </figure>
  );
};
