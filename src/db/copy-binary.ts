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

export class BinaryCopyRows {
  private buf: Buffer;
  private at = 0;
  /** Scratch for numeric digit groups, reused per value. */
  private readonly groups: number[] = [];

  constructor(expectedBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(expectedBytes, 64) + 19);
    SIGNATURE.copy(this.buf, 0);
    this.buf.writeInt32BE(0, 11); // flags
    this.buf.writeInt32BE(0, 15); // header extension length
    this.at = 19;
  }

  /** Starts a row of `fields` columns; then one call per column, in the COPY statement's column order. */
  row(fields: number): this {
    this.room(2);
    this.at = this.buf.writeInt16BE(fields, this.at);
    return this;
  }

  /** A UUID in its 8-4-4-4-12 hex form, decoded by hand: no regex, no intermediate strings (runs per row). */
  uuid(s: string): this {
    this.field(16);
    let at = this.at;
    let ok = s.length === 36;
    for (let i = 0; ok && i < 36; ) {
      if (i === 8 || i === 13 || i === 18 || i === 23) {
        ok = s.charCodeAt(i) === 45; // '-'
        i++;
        continue;
      }
      const hi = HEX[s.charCodeAt(i)] ?? -1;
      const lo = HEX[s.charCodeAt(i + 1)] ?? -1;
      ok = hi >= 0 && lo >= 0;
      this.buf[at++] = (hi << 4) | lo;
      i += 2;
    }
    if (!ok) throw new RangeError(`binary COPY: "${s}" is not a UUID`);
    this.at = at;
    return this;
  }

  /** timestamptz: microseconds since 2000-01-01 UTC (exact in a double for any date of this era). */
  timestamptz(ms: number): this {
    const us = (ms - PG_EPOCH_MS) * 1000;
    const hi = Math.floor(us / 2 ** 32);
    this.field(8);
    this.at = this.buf.writeInt32BE(hi, this.at);
    this.at = this.buf.writeUInt32BE(us - hi * 2 ** 32, this.at);
    return this;
  }

  int8(v: bigint, what: string): this {
    this.field(8);
    if (v >= -MAX_SAFE && v <= MAX_SAFE) {
      // Two 32-bit halves from a double: much cheaper than bigint shifts, exact below 2^53.
      const n = Number(v);
      const hi = Math.floor(n / 2 ** 32);
      this.at = this.buf.writeInt32BE(hi, this.at);
      this.at = this.buf.writeUInt32BE(n - hi * 2 ** 32, this.at);
      return this;
    }
    if (v < INT8_MIN || v > INT8_MAX) throw new RangeError(`binary COPY: ${what} = ${v} does not fit a bigint`);
    this.at = this.buf.writeBigInt64BE(v, this.at);
    return this;
  }

  int4(v: number, what: string): this {
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new RangeError(`binary COPY: ${what} = ${v} does not fit an integer`);
    this.field(4);
    this.at = this.buf.writeInt32BE(v, this.at);
    return this;
  }

  /**
   * numeric(precision, 3) from milli-units (1500n = 1.500): base-10000 digits aligned on the decimal point,
   * leading and trailing zero groups left out, display scale 3.
   */
  numericMilli(milli: bigint, precision: number, what: string): this {
    const neg = milli < 0n;
    const abs = neg ? -milli : milli;
    if (abs >= limitOf(precision)) throw new RangeError(`binary COPY: ${what} = ${milli} milli-units does not fit numeric(${precision}, 3)`);
    // Base-10000 groups, most significant first; the last holds the 3 decimals (×10), the one before it the units.
    const g = this.groups;
    let count = 0;
    if (abs <= MAX_SAFE) {
      const m = Number(abs);
      g[count++] = (m % 1000) * 10;
      for (let int = Math.floor(m / 1000); int > 0; int = Math.floor(int / 10_000)) g[count++] = int % 10_000;
      g.length = count;
      g.reverse();
    } else {
      const s = abs.toString();
      const int = s.slice(0, -3);
      const padded = int.padStart(Math.ceil(int.length / 4) * 4, '0');
      for (let i = 0; i < padded.length; i += 4) g[count++] = Number(padded.slice(i, i + 4));
      g[count++] = Number(s.slice(-3)) * 10;
      g.length = count;
    }
    let weight = count - 2;
    let first = 0;
    while (first < count && g[first] === 0) {
      first++;
      weight--;
    }
    let end = count;
    while (end > first && g[end - 1] === 0) end--;
    const n = end - first;
    this.field(8 + 2 * n);
    this.at = this.buf.writeInt16BE(n, this.at);
    this.at = this.buf.writeInt16BE(n === 0 ? 0 : weight, this.at);
    this.at = this.buf.writeUInt16BE(neg && n > 0 ? NUMERIC_NEG : 0, this.at);
    this.at = this.buf.writeInt16BE(3, this.at);
    for (let i = first; i < end; i++) this.at = this.buf.writeInt16BE(g[i], this.at);
    return this;
  }

  /** The whole COPY stream, trailer included. */
  finish(): Buffer {
    this.room(2);
    this.at = this.buf.writeInt16BE(-1, this.at);
    return this.buf.subarray(0, this.at);
  }

  private field(bytes: number): void {
    this.room(4 + bytes);
    this.at = this.buf.writeInt32BE(bytes, this.at);
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + bytes));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const LIMITS = new Map<number, bigint>();

/** 10^precision: the first milli count numeric(precision, 3) cannot hold. */
function limitOf(precision: number): bigint {
  let l = LIMITS.get(precision);
  if (l === undefined) LIMITS.set(precision, (l = 10n ** BigInt(precision)));
  return l;
}
