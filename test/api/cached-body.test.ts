// Accept-Encoding negotiation and the once-gzipped body the VM list is sent from.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { acceptsGzip, CachedBody } from '../../src/api/cached-body.ts';

describe('acceptsGzip', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['gzip', true],
    ['GZip', true],
    ['x-gzip', true],
    ['gzip, deflate, br', true],
    ['br, gzip;q=0.5', true],
    ['deflate, br', false],
    ['identity', false],
    ['gzip;q=0', false],
    ['gzip; q=0.000', false],
    ['gzip;q=0.001', true],
    ['*', true],
    ['*;q=0', false],
    ['gzip;q=0, *', false], // named explicitly: refused, whatever * says
    ['*, gzip;q=0', false],
    ['br;q=1, *;q=0.1', true],
  ])('%j → %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});

describe('CachedBody', () => {
  it('gzips once, to bytes that decompress to the body; a small body is not worth it', () => {
    const big = new CachedBody(new TextEncoder().encode(JSON.stringify({ items: Array.from({ length: 50 }, (_, i) => ({ id: i, name: `vm-${i}` })) })));
    const gz = big.gzipped()!;
    expect(gunzipSync(gz).equals(Buffer.from(big.raw))).toBe(true);
    expect(gz.byteLength).toBeLessThan(big.raw.byteLength / 2);
    expect(big.gzipped()).toBe(gz);
    expect(new CachedBody(new TextEncoder().encode('{"items":[]}')).gzipped()).toBeNull();
  });
});
