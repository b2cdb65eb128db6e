// Money and exact decimals: the one rounding rule (half-even), minor units per currency, largest-remainder allocation.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decimal, roundHalfEven } from '../../src/billing/decimal.ts';
import { allocate, currencyExponent, formatMoney, toMinorUnits } from '../../src/billing/money.ts';
import { BillingError } from '../../src/billing/errors.ts';

describe('Decimal', () => {
  it.each([
    ['0.1', '0.2', '0.3'],
    ['1.005', '-0.005', '1'],
    ['123456789012345678901234567890.5', '0.5', '123456789012345678901234567891'],
    ['-2', '0.75', '-1.25'],
  ])('%s + %s = %s exactly', (a, b, sum) => {
    expect(Decimal.parse(a).add(b).toString()).toBe(sum);
  });

  it('multiplies and compares exactly', () => {
    expect(Decimal.parse('0.000012').mul('1048576').toString()).toBe('12.582912');
    expect(Decimal.parse('1.50').cmp('1.5')).toBe(0);
    expect(Decimal.parse('-0.01').cmp('0')).toBe(-1);
    expect(Decimal.parse('2').toString(2)).toBe('2.00');
  });

  it.each(['1e3', '0,5', '', '.5', '1.', 'NaN', '--1'])('refuses "%s" with a message naming the input', (s) => {
    expect(() => Decimal.parse(s)).toThrow(/not an exact decimal/);
  });

  it('divides only with an explicit half-even rounding', () => {
    expect(Decimal.parse('1').divRound(3600n, 12).toString()).toBe('0.000277777778');
    expect(Decimal.parse('1').divRound(8n, 2).toString()).toBe('0.12'); // 0.125 → 0.12 (even)
    expect(Decimal.parse('3').divRound(8n, 2).toString()).toBe('0.38'); // 0.375 → 0.38 (even)
  });

  it('parse ∘ toString is the identity on any scaled bigint', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 18 }), (c, s) => {
        const d = Decimal.of(c, s);
        expect(Decimal.parse(d.toString()).eq(d)).toBe(true);
      }),
    );
  });
});

describe('half-even rounding (the one named rule)', () => {
  // num/den → integer; ties go to the even neighbour, in both signs.
  it.each([
    [5n, 10n, 0n], [15n, 10n, 2n], [25n, 10n, 2n], [35n, 10n, 4n], [14n, 10n, 1n], [16n, 10n, 2n],
    [-5n, 10n, 0n], [-15n, 10n, -2n], [-25n, 10n, -2n], [-16n, 10n, -2n], [-14n, 10n, -1n],
    [1n, 3n, 0n], [2n, 3n, 1n], [7n, 2n, 4n], [9n, 2n, 4n], [0n, 7n, 0n],
  ])('%d / %d → %d', (n, d, want) => {
    expect(roundHalfEven(n, d)).toBe(want);
  });

  it('never differs from the exact value by more than one half', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }), fc.bigInt({ min: 1n, max: 10n ** 12n }), (n, d) => {
        const q = roundHalfEven(n, d);
        const err = n - q * d; // exact error × d
        expect(2n * (err < 0n ? -err : err) <= d).toBe(true);
      }),
    );
  });
});

describe('currencies and minor units', () => {
  it.each([
    ['JPY', '1500.5', 1500n], ['JPY', '1501.5', 1502n],
    ['USD', '1.005', 100n], ['USD', '1.015', 102n], ['EUR', '0.125', 12n], ['EUR', '-0.125', -12n],
    ['KWD', '1.0005', 1000n], ['KWD', '1.0015', 1002n], ['KWD', '12.3456', 12346n],
  ])('%s %s → %d minor units', (cur, major, minor) => {
    expect(toMinorUnits(Decimal.parse(major), cur)).toBe(minor);
  });

  it('knows the ISO 4217 exponents and refuses unknown codes', () => {
    expect([currencyExponent('JPY'), currencyExponent('USD'), currencyExponent('EUR'), currencyExponent('KWD')]).toEqual([0, 2, 2, 3]);
    expect(() => currencyExponent('XYZ')).toThrow(BillingError);
    expect(formatMoney({ amount: 123456n, currency: 'KWD' })).toBe('123.456 KWD');
    expect(formatMoney({ amount: 1500n, currency: 'JPY' })).toBe('1500 JPY');
    expect(formatMoney({ amount: -5n, currency: 'EUR' })).toBe('-0.05 EUR');
  });
});

describe('allocate (largest remainder)', () => {
  it('splits with ties broken towards the lower index', () => {
    expect(allocate(100n, [1n, 1n, 1n])).toEqual([34n, 33n, 33n]);
    expect(allocate(5n, [1n, 1n])).toEqual([3n, 2n]);
    expect(allocate(10n, [0n, 1n])).toEqual([0n, 10n]);
    expect(allocate(-100n, [1n, 1n, 1n])).toEqual([-34n, -33n, -33n]);
    expect(allocate(7n, [3n, 1n, 3n])).toEqual([3n, 1n, 3n]);
  });

  it('parts always sum to the whole and each is within one unit of its exact share', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { minLength: 1, maxLength: 40 }).filter((w) => w.some((x) => x > 0n)),
        (total, weights) => {
          const parts = allocate(total, weights);
          expect(parts.reduce((a, b) => a + b, 0n)).toBe(total);
          const W = weights.reduce((a, b) => a + b, 0n);
          parts.forEach((p, i) => {
            const diff = p * W - total * weights[i]; // (part − exact share) × W
            expect((diff < 0n ? -diff : diff) < W).toBe(true);
          });
        },
      ),
    );
  });

  it('refuses weights that cannot split anything', () => {
    expect(() => allocate(10n, [])).toThrow(/at least one weight/);
    expect(() => allocate(10n, [0n, 0n])).toThrow(/not all be zero/);
    expect(() => allocate(10n, [1n, -1n])).toThrow(/non-negative/);
  });
});
