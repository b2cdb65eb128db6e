// The exact-bigint JSON serialiser and parser shared by the parsers and the CLI.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExactJson, toExactJson, type JsonOut } from '../../src/hosts/parsers/json.ts';

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
