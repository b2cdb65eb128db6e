// PostgreSQL's binary COPY format, for the few column types the ingest path writes. Binary rows cost the server
// far less than text (no uuid, timestamp or numeric parsing) and the client no number-to-text conversion.
// Format: https://www.postgresql.org/docs/current/sql-copy.html ("Binary Format"); numeric as numeric_send writes it.

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const PG_EPOCH_MS = 946_684_800_000; // 2000-01-01T00:00:00Z
const NUMERIC_NEG = 0x4000;
const HEX: number[] = [];
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  HEX[c] = /[0-9a-f]/i.test(ch) ? Number.parseInt(ch, 16) : -1;
}
const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;

/** UUID text → its 16 bytes as four big-endian words, for ids written again and again (a VM's every minute); bounded. */
const uuidWords = new Map<string, Uint32Array>();
/** Base-10000 groups of the widest numeric written: numeric(28, 3) has 25 integer digits (7 groups) and the decimals. */
const GROUPS = 16;

export class BinaryCopyRows {
  private buf: Buffer;
  /** Over `buf`: DataView's setters are much cheaper per call than Buffer's checked writeInt32BE and kin. */
  private view: DataView;
  private at = 0;
  /** Scratch for numeric digit groups, reused per value. */
  private readonly groups = new Int32Array(GROUPS);

  constructor(expectedBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(expectedBytes, 64) + 19);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    SIGNATURE.copy(this.buf, 0);
    this.view.setInt32(11, 0); // flags
    this.view.setInt32(15, 0); // header extension length
    this.at = 19;
  }

  /** Starts a row of `fields` columns; then one call per column, in the COPY statement's column order. */
  row(fields: number): this {
    this.room(2);
    this.view.setInt16(this.at, fields);
    this.at += 2;
    return this;
  }

  /** A UUID in its 8-4-4-4-12 hex form. */
  uuid(s: string): this {
    let w = uuidWords.get(s);
    if (w === undefined) {
      const b = parseUuid(s);
      const d = new DataView(b.buffer);
      w = Uint32Array.of(d.getUint32(0), d.getUint32(4), d.getUint32(8), d.getUint32(12));
      if (uuidWords.size >= 100_000) uuidWords.clear();
      uuidWords.set(s, w);
    }
    this.field(16);
    const v = this.view;
    v.setUint32(this.at, w[0]!);
    v.setUint32(this.at + 4, w[1]!);
    v.setUint32(this.at + 8, w[2]!);
    v.setUint32(this.at + 12, w[3]!);
    this.at += 16;
    return this;
  }

  /** timestamptz: microseconds since 2000-01-01 UTC (exact in a double for any date of this era). */
  timestamptz(ms: number): this {
    this.field(8);
    this.int64FromSafe((ms - PG_EPOCH_MS) * 1000);
    return this;
  }

  int8(v: bigint, what: string): this {
    this.field(8);
    // Below 2^53 a double holds the value exactly (and a bigint beyond it never converts to a safe integer):
    // two 32-bit halves from the double are much cheaper than bigint arithmetic.
    const n = Number(v);
    if (Number.isSafeInteger(n)) {
      this.int64FromSafe(n);
      return this;
    }
    if (v < INT8_MIN || v > INT8_MAX) throw new RangeError(`binary COPY: ${what} = ${v} does not fit a bigint`);
    this.view.setBigInt64(this.at, v);
    this.at += 8;
    return this;
  }

  int4(v: number, what: string): this {
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new RangeError(`binary COPY: ${what} = ${v} does not fit an integer`);
    this.field(4);
    this.view.setInt32(this.at, v);
    this.at += 4;
    return this;
  }

  /**
   * numeric(precision, 3) from milli-units (1500n = 1.500): base-10000 digits aligned on the decimal point,
   * leading and trailing zero groups left out, display scale 3.
   */
  numericMilli(milli: bigint, precision: number, what: string): this {
    const neg = milli < 0n;
    const abs = neg ? -milli : milli;
    // Below 2^53 the milli count is exact in a double (a bigint beyond it never converts to a safe integer), and
    // 10 ** precision is either exact or above every safe integer.
    const small = Number(abs);
    const safe = Number.isSafeInteger(small);
    if (safe ? small >= 10 ** precision : abs >= limitOf(precision)) {
      throw new RangeError(`binary COPY: ${what} = ${milli} milli-units does not fit numeric(${precision}, 3)`);
    }
    // Base-10000 groups filled from the end of the scratch, most significant first: g[k..GROUPS). The last holds
    // the 3 decimals (×10), the one before it the units.
    const g = this.groups;
    let k = GROUPS;
    if (safe) {
      g[--k] = (small % 1000) * 10;
      for (let int = Math.floor(small / 1000); int > 0; int = Math.floor(int / 10_000)) g[--k] = int % 10_000;
    } else {
      const digits = abs.toString();
      g[--k] = Number(digits.slice(-3)) * 10;
      for (let i = digits.length - 3; i > 0; i -= 4) g[--k] = Number(digits.slice(Math.max(0, i - 4), i));
    }
    let weight = GROUPS - k - 2;
    let first = k;
    while (first < GROUPS && g[first] === 0) {
      first++;
      weight--;
    }
    let end = GROUPS;
    while (end > first && g[end - 1] === 0) end--;
    const n = end - first;
    this.field(8 + 2 * n);
    const v = this.view;
    let at = this.at;
    v.setInt16(at, n);
    v.setInt16(at + 2, n === 0 ? 0 : weight);
    v.setUint16(at + 4, neg && n > 0 ? NUMERIC_NEG : 0);
    v.setInt16(at + 6, 3);
    at += 8;
    for (let i = first; i < end; i++, at += 2) v.setInt16(at, g[i]!);
    this.at = at;
    return this;
  }

  /** The whole COPY stream, trailer included. */
  finish(): Buffer {
    this.room(2);
    this.view.setInt16(this.at, -1);
    this.at += 2;
    return this.buf.subarray(0, this.at);
  }

  /** A safe integer as int64, big-endian, in two 32-bit halves. */
  private int64FromSafe(n: number): void {
    const hi = Math.floor(n / 2 ** 32);
    this.view.setInt32(this.at, hi);
    this.view.setUint32(this.at + 4, n - hi * 2 ** 32);
    this.at += 8;
  }

  /** Room for the field's length word and its bytes; writes the length. */
  private field(bytes: number): void {
    this.room(4 + bytes);
    this.view.setInt32(this.at, bytes);
    this.at += 4;
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + bytes));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
    this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.byteLength);
  }
}

/** Decoded by hand: no regex, no intermediate strings. */
function parseUuid(s: string): Uint8Array {
  const out = new Uint8Array(16);
  let ok = s.length === 36;
  for (let i = 0, o = 0; ok && i < 36; ) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      ok = s.charCodeAt(i) === 45; // '-'
      i++;
      continue;
    }
    const hi = HEX[s.charCodeAt(i)] ?? -1;
    const lo = HEX[s.charCodeAt(i + 1)] ?? -1;
    ok = hi >= 0 && lo >= 0;
    out[o++] = (hi << 4) | lo;
    i += 2;
  }
  if (!ok) throw new RangeError(`binary COPY: "${s}" is not a UUID`);
  return out;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const LIMITS = new Map<number, bigint>();

/** 10^precision: the first milli count numeric(precision, 3) cannot hold. */
function limitOf(precision: number): bigint {
  let l = LIMITS.get(precision);
  if (l === undefined) LIMITS.set(precision, (l = 10n ** BigInt(precision)));
  return l;
}
