// Parses the sampling script's VBD section: one line per blkback device,
// `vbd-<domid>-<dev> <rd_sect> <wr_sect> <rd_req> <wr_req> <oo_req>`, each value read from
// /sys/bus/xen-backend/devices/vbd-<domid>-<dev>/statistics/{rd_sect,wr_sect,rd_req,wr_req,oo_req}.
import { ParseError, type VbdStat } from './types.ts';

const U64_MAX = (1n << 64n) - 1n;
const NAME_RE = /^vbd-(\d+)-(\d+)$/;

/** Blank input → [] (no VBDs on the host). Strict: any other malformed line throws ParseError naming it. */
export function parseVbdStats(text: string): VbdStat[] {
  const out: VbdStat[] = [];
  const lines = text.split('\n');
  const fields: string[] = [];
  for (let idx = 0; idx < lines.length; idx++) {
    const lineNo = idx + 1;
    const raw = lines[idx]!;
    const line = (raw.endsWith('\r') ? raw.slice(0, -1) : raw).trim();
    if (line === '') continue;
    splitFields(line, fields);
    if (fields.length !== 6) {
      throw new ParseError('vbd', lineNo, `expected "vbd-<domid>-<dev> rd_sect wr_sect rd_req wr_req oo_req" (6 fields), found ${fields.length}: ${JSON.stringify(line.slice(0, 80))}`);
    }
    const m = NAME_RE.exec(fields[0]!);
    if (!m || Number(m[1]) > 0x7fff) throw new ParseError('vbd', lineNo, `expected a device name vbd-<domid>-<dev>, found ${JSON.stringify(fields[0])}`);
    const counter = (i: number): bigint => {
      const f = fields[i + 1]!;
      const n = DIGITS_RE.test(f) ? BigInt(f) : -1n;
      if (n < 0n || (f.length >= 20 && n > U64_MAX)) {
        const names = ['rd_sect', 'wr_sect', 'rd_req', 'wr_req', 'oo_req'];
        throw new ParseError('vbd', lineNo, `${names[i]}: expected an unsigned integer, found ${JSON.stringify(f)}`);
      }
      return n;
    };
    out.push({ domid: Number(m[1]), dev: Number(m[2]), rdSect: counter(0), wrSect: counter(1), rdReq: counter(2), wrReq: counter(3), ooReq: counter(4) });
  }
  return out;
}

const DIGITS_RE = /^\d+$/;
const WS_RE = /\s/;

/** `line.split(/\s+/)` of a trimmed line, into `out` (reused). */
function splitFields(line: string, out: string[]): void {
  out.length = 0;
  const n = line.length;
  let i = 0;
  while (i < n) {
    const from = i;
    while (i < n && !isWs(line.charCodeAt(i))) i++;
    out.push(line.slice(from, i));
    while (i < n && isWs(line.charCodeAt(i))) i++;
  }
}

function isWs(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  return c >= 128 && WS_RE.test(String.fromCharCode(c));
}
