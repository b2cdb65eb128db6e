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
  for (let idx = 0; idx < lines.length; idx++) {
    const lineNo = idx + 1;
    const line = lines[idx]!.replace(/\r$/, '').trim();
    if (line === '') continue;
    const fields = line.split(/\s+/);
    if (fields.length !== 6) {
      throw new ParseError('vbd', lineNo, `expected "vbd-<domid>-<dev> rd_sect wr_sect rd_req wr_req oo_req" (6 fields), found ${fields.length}: ${JSON.stringify(line.slice(0, 80))}`);
    }
    const m = NAME_RE.exec(fields[0]!);
    if (!m || Number(m[1]) > 0x7fff) throw new ParseError('vbd', lineNo, `expected a device name vbd-<domid>-<dev>, found ${JSON.stringify(fields[0])}`);
    const counters = fields.slice(1).map((f, i) => {
      if (!/^\d+$/.test(f) || BigInt(f) > U64_MAX) {
        const names = ['rd_sect', 'wr_sect', 'rd_req', 'wr_req', 'oo_req'];
        throw new ParseError('vbd', lineNo, `${names[i]}: expected an unsigned integer, found ${JSON.stringify(f)}`);
      }
      return BigInt(f);
    });
    const [rdSect, wrSect, rdReq, wrReq, ooReq] = counters as [bigint, bigint, bigint, bigint, bigint];
    out.push({ domid: Number(m[1]), dev: Number(m[2]), rdSect, wrSect, rdReq, wrReq, ooReq });
  }
  return out;
}
