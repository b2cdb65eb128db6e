// The exact-bigint JSON serialiser and parser shared by the parsers and the CLI.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, parseExactJson, parseExactJsonSlow, toExactJson, type JsonOut } from '../../src/hosts/parsers/json.ts';

describe('toExactJson', () => {
  it('prints bigints as exact digits and keeps key order', () => {
    expect(toExactJson({ b: 18446744073562662986n, a: [1.5, null, 'x', true], c: {} })).toBe('{"b":18446744073562662986,"a":[1.5,null,"x",true],"c":{}}');
    expect(toExactJson([{ n: 1n }], 2)).toBe('[\n  {\n    "n": 1\n  }\n]');
  });

  it('matches JSON.stringify on bigint-free values and round-trips through parseExactJson', () => {
    const leaf = fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)));
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v')), fc.dictionary(fc.string(), tie('v'))),
    })).v as fc.Arbitrary<JsonOut>;
    fc.assert(
      fc.property(value, fc.constantFrom(0, 2), (v, indent) => {
        const text = toExactJson(v, indent);
        expect(text).toBe(JSON.stringify(v, null, indent || undefined));
        expect(parseExactJson(text)).toEqual(JSON.parse(text));
      }),
    );
    fc.assert(
      fc.property(fc.bigInt(), (n) => {
        expect(parseExactJson(toExactJson([n]))).toEqual([n]);
      }),
    );
  });
});

describe('parseExactJson fast path', () => {
  it('agrees with the exact hand-written parser on any JSON text, incl. huge integers and awkward strings', () => {
    const big = fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((b) => ({ __big: b.toString() }));
    fc.assert(
      fc.property(fc.jsonValue(), fc.array(big, { maxLength: 3 }), fc.string(), (v, bigs, str) => {
        const text = JSON.stringify({ v, s: `${str} 12345678901234567890, [1]`, bigs }).replace(/\{"__big":"(-?\d+)"\}/g, '$1');
        expect(parseExactJson(text)).toEqual(parseExactJsonSlow(text));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps 2^64-range counters exact and floats as numbers', () => {
    expect(parseExactJson('{"a":[18446744073562662986,1.5,-2,1e3,"7"]}')).toEqual({ a: [18446744073562662986n, 1.5, -2n, 1000, '7'] });
  });

  it('still reports malformed text with its line', () => {
    const err = (() => {
      try {
        parseExactJson('{\n"a": 01\n}');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(JsonSyntaxError);
    expect((err as JsonSyntaxError).line).toBe(2);
    expect(() => parseExactJson('[1,\n2,]')).toThrow(JsonSyntaxError);
  });
});
