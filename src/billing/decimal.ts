// Exact decimal numbers on a scaled bigint (value = coef / 10^scale) for rates and quantities.
// No floats anywhere: parse from strings, add/sub/mul exactly, divide only with an explicit rounding rule.

const DECIMAL_RE = /^([+-])?(\d+)(?:\.(\d+))?$/;

export class Decimal {
  private constructor(
    readonly coef: bigint,
    readonly scale: number,
  ) {}

  static readonly ZERO = new Decimal(0n, 0);

  static of(coef: bigint, scale = 0): Decimal {
    if (!Number.isInteger(scale) || scale < 0) throw new RangeError(`Decimal scale must be a non-negative integer, got ${scale}`);
    return new Decimal(coef, scale).normalize();
  }

  /** Parse '12', '-0.0012', '1.50'. Exponents, commas and floats are refused. */
  static parse(text: string | Decimal | bigint): Decimal {
    if (text instanceof Decimal) return text;
    if (typeof text === 'bigint') return new Decimal(text, 0);
    const m = DECIMAL_RE.exec(text.trim());
    if (!m) throw new RangeError(`not an exact decimal: "${text}" (use digits with an optional '.' fraction, e.g. "0.0012")`);
    const frac = m[3] ?? '';
    const coef = BigInt(m[2] + frac) * (m[1] === '-' ? -1n : 1n);
    return new Decimal(coef, frac.length).normalize();
  }

  private normalize(): Decimal {
    let c = this.coef;
    let s = this.scale;
    while (s > 0 && c % 10n === 0n) {
      c /= 10n;
      s -= 1;
    }
    return c === this.coef && s === this.scale ? this : new Decimal(c, s);
  }

  private aligned(other: Decimal): [bigint, bigint, number] {
    const s = Math.max(this.scale, other.scale);
    return [this.coef * 10n ** BigInt(s - this.scale), other.coef * 10n ** BigInt(s - other.scale), s];
  }

  add(other: Decimal | string): Decimal {
    const [a, b, s] = this.aligned(Decimal.parse(other));
    return Decimal.of(a + b, s);
  }

  sub(other: Decimal | string): Decimal {
    const [a, b, s] = this.aligned(Decimal.parse(other));
    return Decimal.of(a - b, s);
  }

  mul(other: Decimal | string | bigint): Decimal {
    const o = Decimal.parse(other);
    return Decimal.of(this.coef * o.coef, this.scale + o.scale);
  }

  neg(): Decimal {
    return new Decimal(-this.coef, this.scale);
  }

  cmp(other: Decimal | string): -1 | 0 | 1 {
    const [a, b] = this.aligned(Decimal.parse(other));
    return a < b ? -1 : a > b ? 1 : 0;
  }

  eq(other: Decimal | string): boolean {
    return this.cmp(other) === 0;
  }

  isZero(): boolean {
    return this.coef === 0n;
  }

  isNegative(): boolean {
    return this.coef < 0n;
  }

  static min(a: Decimal, b: Decimal): Decimal {
    return a.cmp(b) <= 0 ? a : b;
  }

  static max(a: Decimal, b: Decimal): Decimal {
    return a.cmp(b) >= 0 ? a : b;
  }

  /** this / divisor rounded half-even to `scale` fractional digits: the one place a division may round. */
  divRound(divisor: Decimal | string | bigint, scale: number): Decimal {
    const d = Decimal.parse(divisor);
    if (d.isZero()) throw new RangeError('division by zero');
    // (c1/10^s1) / (c2/10^s2) * 10^scale = c1 * 10^(s2 + scale) / (c2 * 10^s1)
    const num = this.coef * 10n ** BigInt(d.scale + scale);
    const den = d.coef * 10n ** BigInt(this.scale);
    return Decimal.of(roundHalfEven(num, den), scale);
  }

  /** Round to `scale` fractional digits, half-even. */
  round(scale: number): Decimal {
    if (this.scale <= scale) return this;
    return Decimal.of(roundHalfEven(this.coef, 10n ** BigInt(this.scale - scale)), scale);
  }

  /** Plain decimal notation without exponent; trailing zeros dropped unless `minScale` asks for them. */
  toString(minScale = 0): string {
    const s = Math.max(this.scale, minScale);
    const c = this.coef * 10n ** BigInt(s - this.scale);
    const neg = c < 0n;
    const digits = (neg ? -c : c).toString().padStart(s + 1, '0');
    const int = digits.slice(0, digits.length - s);
    const frac = digits.slice(digits.length - s);
    return `${neg ? '-' : ''}${int}${s > 0 ? `.${frac}` : ''}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** num/den rounded to an integer, ties to even (banker's rounding). The single rounding rule of billing. */
export function roundHalfEven(num: bigint, den: bigint): bigint {
  if (den === 0n) throw new RangeError('division by zero');
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  let q = num / den; // truncates toward zero
  let r = num % den; // same sign as num
  if (r < 0n) {
    // floor division so the remainder is in [0, den)
    q -= 1n;
    r += den;
  }
  const twice = 2n * r;
  if (twice > den || (twice === den && q % 2n !== 0n)) q += 1n;
  return q;
}

export function dec(text: string | Decimal | bigint): Decimal {
  return Decimal.parse(text);
}
