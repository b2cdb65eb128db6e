// The one-round-trip sampling script (a constant: data only ever arrives as its positional `$1`)
// and `splitSample`, which checks its framing and exit codes and cuts it into a RawSample.
import { ParseError } from './parsers/types.ts';
import { HostError, XL_DIGEST_RE, type RawSample } from './types.ts';

/**
 * POSIX sh, run as `sh -c SAMPLE_SCRIPT kamikazi-sample <sysfs root>`.
 * Each section is framed as `@@kamikazi-section <name> <exit> <stdout bytes> <stderr bytes>\n`
 * followed by exactly that many bytes of stdout, then of the tool's first stderr line, then `\n`.
 * Byte counts (LC_ALL=C makes `${#var}` count bytes) mean no tool output can forge a marker.
 * Sections, in order: xl (`xl list -l`), xentop (`xentop -b -i 1 -f`), ovs (`ovs-vsctl --format=json
 * --columns=OVS_COLUMNS list Interface`, empty with exit 0 when ovs-vsctl is not installed), vbd, xlsum.
 * xlsum is the SHA-256 of the xl text (empty without sha256sum); when it equals `$2`, the digest of the text the
 * collector already parsed, the xl section carries just `unchanged` (which no `xl list -l` output can be).
 * VBD counters come from sysfs, not xentop: libxenstat reads `statistics/rd_sect` into the write field
 * and never fills VBD_RSECT, so real hosts print garbage there. One line per backend:
 * `vbd-<domid>-<dev> rd_sect wr_sect rd_req wr_req oo_req`; a backend that vanishes mid-read is skipped.
 * Everything else is shell builtins (read, printf, command -v), so a sample costs the three tools,
 * mktemp and rm: the sysfs reads fork nothing however many VBDs the host has.
 */
/**
 * The Interface columns the collector reads. Asking for just these (ovs-vsctl prints them in this order)
 * halves the text a host sends and we parse: a full row carries some 36 columns besides the counters.
 */
export const OVS_COLUMNS = 'name,ofport,statistics,external_ids';

export const SAMPLE_SCRIPT = `LC_ALL=C
export LC_ALL
root=$1
t=$(mktemp) || exit 70
trap 'rm -f "$t"' EXIT
emit() {
  printf '@@kamikazi-section %s %s %s %s\\n%s%s\\n' "$1" "$2" "\${#3}" "\${#4}" "$3" "$4"
}
run() {
  name=$1
  shift
  out=$("$@" 2>"$t" </dev/null; r=$?; printf x; exit "$r")
  rc=$?
  out=\${out%x}
  err=
  IFS= read -r err <"$t" || :
  emit "$name" "$rc" "$out" "$err"
}
known=$2
xlout=$(xl list -l 2>"$t" </dev/null; r=$?; printf x; exit "$r")
xlrc=$?
xlout=\${xlout%x}
xlerr=
IFS= read -r xlerr <"$t" || :
xlsum=
if [ "$xlrc" -eq 0 ] && command -v sha256sum >/dev/null 2>&1; then
  xlsum=$(printf %s "$xlout" | sha256sum) && xlsum=\${xlsum%% *} || xlsum=
fi
if [ -n "$xlsum" ] && [ "$xlsum" = "$known" ]; then
  emit xl 0 unchanged ''
else
  emit xl "$xlrc" "$xlout" "$xlerr"
fi
run xentop xentop -b -i 1 -f
if command -v ovs-vsctl >/dev/null 2>&1; then
  run ovs ovs-vsctl --format=json --columns=${OVS_COLUMNS} list Interface
else
  emit ovs 0 '' ''
fi
if [ -d "$root" ]; then
  vbd=
  for d in "$root"/vbd-*; do
    s=$d/statistics
    [ -d "$s" ] || continue
    { read -r a <"$s/rd_sect" && read -r b <"$s/wr_sect" && read -r c <"$s/rd_req" && read -r e <"$s/wr_req" && read -r f <"$s/oo_req"; } 2>/dev/null || continue
    vbd="$vbd\${d##*/} $a $b $c $e $f
"
  done
  emit vbd 0 "$vbd" ''
else
  emit vbd 2 '' "sysfs root $root is not a directory"
fi
emit xlsum 0 "$xlsum" ''
`;

type SectionName = 'xl' | 'xentop' | 'ovs' | 'vbd' | 'xlsum';
const SECTIONS: readonly SectionName[] = ['xl', 'xentop', 'ovs', 'vbd', 'xlsum'];
/** What each section ran, for error messages that say what failed on the host. */
const SECTION_COMMAND: Record<SectionName, string> = {
  xl: 'xl list -l',
  xentop: 'xentop -b -i 1 -f',
  ovs: `ovs-vsctl --format=json --columns=${OVS_COLUMNS} list Interface`,
  vbd: 'VBD statistics from sysfs',
  xlsum: 'sha256sum of the xl list -l text',
};
const HEADER_RE = /^@@kamikazi-section ([a-z]+) (\d{1,3}) (\d{1,10}) (\d{1,10})$/;
const NEWLINE = 0x0a;

/** Cuts the script's stdout into a RawSample; a tool that failed on the host → HostError('CommandFailed'). */
export function splitSample(stdout: Buffer | string, takenAt: Date): RawSample {
  const buf = typeof stdout === 'string' ? Buffer.from(stdout, 'utf8') : stdout;
  const out = {} as Record<SectionName, string>;
  let pos = 0;
  let line = 1;
  for (const expected of SECTIONS) {
    const eol = buf.indexOf(NEWLINE, pos);
    if (eol < 0) {
      throw new ParseError('sample', line, `expected "@@kamikazi-section ${expected} ..." but the output ended (did the sample script run to completion?)`);
    }
    const header = buf.subarray(pos, eol).toString('latin1');
    const m = HEADER_RE.exec(header);
    if (!m || m[1] !== expected) {
      throw new ParseError('sample', line, `expected "@@kamikazi-section ${expected} <exit> <bytes> <bytes>", found ${JSON.stringify(header.slice(0, 80))}`);
    }
    const [exit, outLen, errLen] = [Number(m[2]), Number(m[3]), Number(m[4])];
    const bodyStart = eol + 1;
    const errStart = bodyStart + outLen;
    const end = errStart + errLen;
    if (end >= buf.length || buf[end] !== NEWLINE) {
      throw new ParseError('sample', line, `section ${expected} announces ${outLen}+${errLen} bytes but the output is shorter or unterminated`);
    }
    const body = buf.subarray(bodyStart, errStart).toString('utf8');
    if (exit !== 0) {
      const err = buf.subarray(errStart, end).toString('utf8').trim();
      const hint = exit === 127 ? ' (not found on the PATH of the SSH user)' : '';
      throw new HostError(
        'CommandFailed',
        `${SECTION_COMMAND[expected]} failed on the host with exit code ${exit}${hint}${err ? `: ${err}` : ''}`,
      );
    }
    out[expected] = body;
    line += 1 + countNewlines(buf, bodyStart, end + 1);
    pos = end + 1;
  }
  if (pos !== buf.length) {
    throw new ParseError('sample', line, `unexpected ${buf.length - pos} bytes after the xlsum section`);
  }
  const xlDigest = out.xlsum === '' ? undefined : out.xlsum;
  if (xlDigest !== undefined && !XL_DIGEST_RE.test(xlDigest)) {
    throw new ParseError('sample', line, `xlsum section: expected a SHA-256 in hex, found ${JSON.stringify(xlDigest.slice(0, 80))}`);
  }
  if (out.xl === 'unchanged') {
    if (!xlDigest) throw new ParseError('sample', 1, 'xl section says "unchanged" but the host sent no digest');
    return { xlList: '', xlDigest, xlUnchanged: true, xentop: out.xentop, ovs: out.ovs, vbd: out.vbd, takenAt };
  }
  return { xlList: out.xl, ...(xlDigest ? { xlDigest } : {}), xentop: out.xentop, ovs: out.ovs, vbd: out.vbd, takenAt };
}

function countNewlines(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(NEWLINE, from); i >= 0 && i < to; i = buf.indexOf(NEWLINE, i + 1)) n++;
  return n;
}
