// Parses `xentop -b` (batch) output into XentopRow values, from the last complete iteration.
// Layout derived from Xen's tools/xentop/xentop.c (xen-project/xen), cited per column below.
import { ParseError, type XentopRow } from './types.ts';

/*
 * What xentop.c prints (do_header / do_domain, one " " between fields, every field right-aligned):
 *   NAME       "%10.10s" (cut to 10 chars) or, with -f, "%*s" widened to the longest name
 *   STATE      six chars from state_funcs[] in this order: d(ying) s(hutdown) b(locked) c(rashed) p(aused) r(unning), '-' when unset
 *   CPU(sec)   "%10llu" cpu_ns/1e9            CPU(%) "%6.1f"   (0.0 in the first iteration: no previous sample)
 *   MEM(k)     "%10llu"                       MEM(%) "%6.1f"
 *   MAXMEM(k)  "%10llu", or "%10s" "no limit" (two words) when max_mem is (unsigned long long)-1
 *   MAXMEM(%)  "%9.1f", or "%9s" "n/a" with no limit
 *   VCPUS "%5u"  NETS "%4u"  NETTX(k)/NETRX(k) "%*llu" (width grows with the value: adjust_field_widths)
 *   VBDS "%4u"   VBD_OO "%8llu"  VBD_RD/VBD_WR/VBD_RSECT/VBD_WSECT "%*llu"; each VBD_* is "-" ("%*c")
 *              when every VBD of the domain is in error   SSID "%4u"
 * A value wider than its column just pushes the line right, so we split on whitespace and anchor
 * from the right (the name may contain spaces with -f), never by fixed offsets.
 *
 * NETTX(k) is what dom0 sent to the guest (guest INGRESS) and NETRX(k) what the guest sent
 * (guest EGRESS): libxenstat (tools/libs/stat/xenstat_linux.c) reads dom0's /proc/net/dev line
 * for vif<domid>.<devid> without swapping, and dom0's tx on a vif is the guest's rx.
 *
 * Xen < 4.0 xentop has no VBD_RSECT/VBD_WSECT: detected from the header, those fields are null.
 *
 * Detail lines from -v (VCPUs), -n (Net) and -x (VBD) are recognised strictly and skipped: the row
 * already carries the per-domain totals. `-r` (header before every domain) makes iterations
 * impossible to delimit and is rejected with an error saying so.
 */

type Kind = 'state' | 'u64' | 'u32' | 'pct' | 'maxmem';

interface Column {
  header: string;
  kind: Kind;
  key: Exclude<keyof XentopRow, 'name'>;
}

const COLUMNS: readonly Column[] = [
  { header: 'STATE', kind: 'state', key: 'state' },
  { header: 'CPU(sec)', kind: 'u64', key: 'cpuSeconds' },
  { header: 'CPU(%)', kind: 'pct', key: 'cpuPercent' },
  { header: 'MEM(k)', kind: 'u64', key: 'memKiB' },
  { header: 'MEM(%)', kind: 'pct', key: 'memPercent' },
  { header: 'MAXMEM(k)', kind: 'maxmem', key: 'maxMemKiB' },
  { header: 'MAXMEM(%)', kind: 'pct', key: 'maxMemPercent' },
  { header: 'VCPUS', kind: 'u32', key: 'vcpus' },
  { header: 'NETS', kind: 'u32', key: 'nets' },
  { header: 'NETTX(k)', kind: 'u64', key: 'netTxKiB' },
  { header: 'NETRX(k)', kind: 'u64', key: 'netRxKiB' },
  { header: 'VBDS', kind: 'u32', key: 'vbds' },
  { header: 'VBD_OO', kind: 'u64', key: 'vbdOo' },
  { header: 'VBD_RD', kind: 'u64', key: 'vbdRd' },
  { header: 'VBD_WR', kind: 'u64', key: 'vbdWr' },
  { header: 'VBD_RSECT', kind: 'u64', key: 'vbdRsect' },
  { header: 'VBD_WSECT', kind: 'u64', key: 'vbdWsect' },
  { header: 'SSID', kind: 'u32', key: 'ssid' },
];

/** Header layouts we know: current (18 columns after NAME) and Xen < 4.0 (16, no sector columns). */
const LAYOUTS: readonly (readonly Column[])[] = [
  COLUMNS,
  COLUMNS.filter((c) => c.header !== 'VBD_RSECT' && c.header !== 'VBD_WSECT'),
];

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffff_ffff;
const STATE_RE = /^[d-][s-][b-][c-][p-][r-]$/;
const HEADER_RE = /^\s*NAME\s+STATE(\s|$)/;
// Summary lines (printed in interactive mode and by `xl top` screen copies), skipped when before a header.
const SUMMARY_RES = [
  /^xentop - \d\d:\d\d:\d\d\s+Xen \S+$/,
  /^\d+ domains: \d+ running, \d+ blocked, \d+ paused, \d+ crashed, \d+ dying, \d+ shutdown\s*$/,
  /^Mem: \d+k total, \d+k used, \d+k free\s+CPUs: \d+ @ \d+MHz$/,
];
// do_vcpu: "VCPUs(sec): " then " %2u: %10llus" per online VCPU, a "\n        " break every 5th.
const VCPU_RE = /^VCPUs\(sec\):( +\d+: +\d+s)*$/;
const VCPU_CONT_RE = /^ {8}( +\d+: +\d+s)+$/;
// do_network: "Net%d RX: %8llubytes %8llupkts %8lluerr %8lludrop  TX: ..."
const NET_RE = /^Net\d+ RX: +\d+bytes +\d+pkts +\d+err +\d+drop +TX: +\d+bytes +\d+pkts +\d+err +\d+drop$/;
// do_vbd: "VBD %s %4d %s OO: %8llu   RD: %8llu   WR: %8llu   RSECT: %10llu   WSECT: %10llu" ('-' on error;
// details is "[%2x:%2x] " on Linux; pre-4.0 lines stop after WR).
const VBD_RE =
  /^VBD \S+ +-?\d+ +(\[[0-9a-f ]+:[0-9a-f ]+\] +)?OO: +(\d+|-) +RD: +(\d+|-) +WR: +(\d+|-)( +RSECT: +(\d+|-) +WSECT: +(\d+|-))?$/;

interface Iteration {
  headerLine: number;
  layout: readonly Column[];
  rows: XentopRow[];
  /** The iteration's last line had no newline and did not parse: the output was cut off. */
  cutOff: boolean;
}

/** Rows of the last complete iteration of `xentop -b` output (with or without -f). Throws ParseError. */
export function parseXentop(text: string): XentopRow[] {
  const lines = text.split('\n');
  const endsWithNewline = text.endsWith('\n');
  if (endsWithNewline) lines.pop();
  const iterations: Iteration[] = [];
  let current: Iteration | undefined;
  let lastKind: 'header' | 'row' | 'vcpu' | 'detail' = 'header';

  for (let idx = 0; idx < lines.length; idx++) {
    const lineNo = idx + 1;
    const line = lines[idx]!.replace(/\r$/, '').trimEnd();
    const isLast = idx === lines.length - 1;
    if (line.trim() === '') continue;
    // A header cut off mid-line only means the next iteration had begun: the previous one is whole.
    if (isLast && !endsWithNewline && isHeaderPrefix(line)) continue;
    if (HEADER_RE.test(line)) {
      const layout = headerLayout(line, lineNo);
      if (current && current.rows.length === 0) {
        throw new ParseError('xentop', current.headerLine, 'header line with no domain rows below it');
      }
      current = { headerLine: lineNo, layout, rows: [], cutOff: false };
      iterations.push(current);
      lastKind = 'header';
      continue;
    }
    if (!current) {
      if (SUMMARY_RES.some((re) => re.test(line))) continue;
      throw new ParseError('xentop', lineNo, `expected the header line (NAME STATE CPU(sec) ...), found ${quote(line)}`);
    }
    if (current.rows.length > 0 && lastKind !== 'header') {
      if (VCPU_RE.test(line)) {
        lastKind = 'vcpu';
        continue;
      }
      if (VCPU_CONT_RE.test(line) && lastKind === 'vcpu') continue;
      if (NET_RE.test(line) || VBD_RE.test(line)) {
        lastKind = 'detail';
        continue;
      }
    }
    try {
      current.rows.push(parseRow(line, current.layout, lineNo));
      lastKind = 'row';
    } catch (err) {
      // Only a final line without its newline may be incomplete; anything else is malformed.
      if (isLast && !endsWithNewline) {
        current.cutOff = true;
        continue;
      }
      throw err;
    }
  }

  rejectRepeatedHeaders(iterations);
  const last = iterations.at(-1);
  // A trailing header with nothing below it: xentop stopped between the header and the first domain.
  if (last && last.rows.length === 0) last.cutOff = true;
  const chosen = iterations.filter((it) => !it.cutOff).at(-1);
  if (!chosen) {
    if (!last) throw new ParseError('xentop', null, 'no header line (NAME STATE CPU(sec) ...) in the output');
    throw new ParseError('xentop', last.headerLine, 'output cut off before any iteration was complete');
  }
  return chosen.rows;
}

/** Whether `line` is the start of a header line cut anywhere: whole tokens match, the last may be partial. */
function isHeaderPrefix(line: string): boolean {
  const tokens = line.trim().split(/\s+/);
  return LAYOUTS.some((layout) => {
    const header = ['NAME', ...layout.map((c) => c.header)];
    return tokens.every((t, i) => (i === tokens.length - 1 ? (header[i]?.startsWith(t) ?? false) : header[i] === t));
  });
}

function headerLayout(line: string, lineNo: number): readonly Column[] {
  const tokens = line.trim().split(/\s+/).slice(1);
  const layout = LAYOUTS.find((l) => l.length === tokens.length && l.every((c, i) => c.header === tokens[i]));
  if (!layout) {
    throw new ParseError(
      'xentop',
      lineNo,
      `unrecognised header: expected NAME followed by ${COLUMNS.map((c) => c.header).join(' ')} ` +
        `(or the Xen < 4.0 header without VBD_RSECT VBD_WSECT), found ${quote(line.trim())}`,
    );
  }
  return layout;
}

/** Whitespace-separated tokens with their offsets: what `line.matchAll(/\S+/g)` finds, without the regex cost. */
function tokenize(line: string, texts: string[], ats: number[]): void {
  texts.length = 0;
  ats.length = 0;
  const n = line.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i === n) break;
    const at = i;
    while (i < n && !isSpace(line.charCodeAt(i))) i++;
    texts.push(line.slice(at, i));
    ats.push(at);
  }
}

const SPACE_RE = /\s/;
function isSpace(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  return c >= 128 && SPACE_RE.test(String.fromCharCode(c));
}

// Token buffers reused by parseRow (synchronous, never re-entered).
const tokTexts: string[] = [];
const tokAts: number[] = [];

function parseRow(line: string, layout: readonly Column[], lineNo: number): XentopRow {
  const texts = tokTexts;
  const ats = tokAts;
  tokenize(line, texts, ats);
  // Merge "no limit" into one value so it counts as the single MAXMEM(k) column it is.
  for (let i = texts.length - 1; i > 0; i--) {
    if (texts[i] === 'limit' && texts[i - 1] === 'no') {
      texts.splice(i - 1, 2, 'no limit');
      ats.splice(i, 1);
      i--;
    }
  }
  const expected = layout.length;
  const countProblem = (): string | null => {
    // Columns after NAME = tokens right of the right-most state-looking token.
    let s = -1;
    for (let i = texts.length - 1; i >= 0; i--) if (STATE_RE.test(texts[i]!)) { s = i; break; }
    const found = s >= 0 ? texts.length - s : texts.length - 1;
    if (found === expected) return null;
    const hint =
      found === 16 && expected === 18 ? ' (Xen < 4.0 header has 16)' :
      found === 18 && expected === 16 ? ' (the header is the Xen < 4.0 one, without VBD_RSECT VBD_WSECT)' : '';
    return `expected ${expected} columns after NAME, found ${found}${hint}`;
  };
  if (texts.length < expected + 1) {
    throw new ParseError('xentop', lineNo, countProblem() ?? `expected NAME and ${expected} columns, found ${texts.length} fields`);
  }
  const row: XentopRow = {
    name: '', state: '', cpuSeconds: null, cpuPercent: null, memKiB: null, memPercent: null,
    maxMemKiB: null, maxMemPercent: null, vcpus: null, nets: null, netTxKiB: null, netRxKiB: null,
    vbds: null, vbdOo: null, vbdRd: null, vbdWr: null, vbdRsect: null, vbdWsect: null, ssid: null,
  };
  const first = texts.length - expected;
  for (let c = 0; c < expected; c++) {
    const col = layout[c]!;
    const tok = texts[first + c]!;
    const v = convert(col.kind, tok);
    if (v === undefined) {
      throw new ParseError('xentop', lineNo, countProblem() ?? `column ${col.header}: expected ${describe(col.kind)}, found ${quote(tok)}`);
    }
    (row as unknown as Record<string, unknown>)[col.key] = v;
  }
  row.name = line.slice(0, ats[first]!).trim();
  if (row.name === '') throw new ParseError('xentop', lineNo, 'missing NAME before the STATE column');
  return row;
}

/** The typed value, null for n/a / - / no limit / nan, or undefined when the text is not valid here. */
const DIGITS_RE = /^\d+$/;

function convert(kind: Kind, tok: string): string | bigint | number | null | undefined {
  if (kind === 'state') return STATE_RE.test(tok) ? tok : undefined;
  if (tok === 'n/a' || tok === '-') return null;
  if (kind === 'maxmem' && tok === 'no limit') return null;
  if (kind === 'pct') {
    // printf("%6.1f") of a 0/0 or x/0 prints nan/-nan/inf: no meaningful percentage.
    if (/^-?(nan|inf)$/i.test(tok)) return null;
    return /^-?\d+(\.\d+)?$/.test(tok) ? Number(tok) : undefined;
  }
  if (!DIGITS_RE.test(tok)) return undefined;
  // Up to 15 digits is exact as a number: no bigint needed for a u32 check.
  if (kind === 'u32') return tok.length <= 15 && Number(tok) <= U32_MAX ? Number(tok) : undefined;
  const n = BigInt(tok);
  return n <= U64_MAX ? n : undefined;
}

function describe(kind: Kind): string {
  switch (kind) {
    case 'state': return 'six state letters like --b--- (d s b c p r or -)';
    case 'u64': return 'an unsigned 64-bit integer, n/a or -';
    case 'u32': return 'an unsigned 32-bit integer';
    case 'pct': return 'a percentage like 12.3 or n/a';
    case 'maxmem': return 'an integer (KiB) or "no limit"';
  }
}

/** `-r` repeats the header before every domain: one-row iterations whose single domain keeps changing. */
function rejectRepeatedHeaders(iterations: Iteration[]): void {
  for (let i = 1; i < iterations.length; i++) {
    const a = iterations[i - 1]!;
    const b = iterations[i]!;
    if (a.rows.length === 1 && b.rows.length === 1 && a.rows[0]!.name !== b.rows[0]!.name) {
      throw new ParseError(
        'xentop',
        b.headerLine,
        'header repeated before each domain (xentop -r): iterations cannot be told apart, run xentop without -r',
      );
    }
  }
}

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}
