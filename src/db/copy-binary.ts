// PostgreSQL's binary COPY format, for the few column types the ingest path writes. Binary rows cost the server
// far less than text (no uuid, timestamp or numeric parsing) and the client no number-to-text conversion.
// Format: https://www.postgresql.org/docs/current/sql-copy.html ("Binary Format"); numeric as numeric_send writes it.
import { isUuid } from '../uuid.ts';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const PG_EPOCH_MS = 946_684_800_000; // 2000-01-01T00:00:00Z
const NUMERIC_NEG = 0x4000;
const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;

export class BinaryCopyRows {
  private buf: Buffer;
  private at = 0;

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

  uuid(s: string): this {
    if (!isUuid(s)) throw new RangeError(`binary COPY: "${s}" is not a UUID`);
    this.field(16);
    this.buf.write(s.slice(0, 8) + s.slice(9, 13) + s.slice(14, 18) + s.slice(19, 23) + s.slice(24), this.at, 16, 'hex');
    this.at += 16;
    return this;
  }

  /** timestamptz: microseconds since 2000-01-01 UTC. */
  timestamptz(ms: number): this {
    this.field(8);
    this.at = this.buf.writeBigInt64BE(BigInt(ms - PG_EPOCH_MS) * 1000n, this.at);
    return this;
  }

  int8(v: bigint, what: string): this {
    if (v < INT8_MIN || v > INT8_MAX) throw new RangeError(`binary COPY: ${what} = ${v} does not fit a bigint`);
    this.field(8);
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
    const raw = (neg ? -milli : milli).toString();
    if (raw.length > precision) throw new RangeError(`binary COPY: ${what} = ${milli} milli-units does not fit numeric(${precision}, 3)`);
    const s = raw.padStart(4, '0');
    const int = s.slice(0, -3);
    const padded = int.padStart(Math.ceil(int.length / 4) * 4, '0');
    const digits: number[] = [];
    for (let i = 0; i < padded.length; i += 4) digits.push(Number(padded.slice(i, i + 4)));
    digits.push(Number(s.slice(-3)) * 10); // the fraction's group: 3 decimals → 4 places
    let weight = padded.length / 4 - 1;
    let first = 0;
    while (first < digits.length && digits[first] === 0) {
      first++;
      weight--;
    }
    let end = digits.length;
    while (end > first && digits[end - 1] === 0) end--;
    const n = end - first;
    this.field(8 + 2 * n);
    this.at = this.buf.writeInt16BE(n, this.at);
    this.at = this.buf.writeInt16BE(n === 0 ? 0 : weight, this.at);
    this.at = this.buf.writeUInt16BE(neg && n > 0 ? NUMERIC_NEG : 0, this.at);
    this.at = this.buf.writeInt16BE(3, this.at);
    for (let i = first; i < end; i++) this.at = this.buf.writeInt16BE(digits[i], this.at);
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
