// parseVbdStats: the sampling script's sysfs VBD lines.
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/hosts/parsers/types.ts';
import { parseVbdStats } from '../../src/hosts/parsers/vbd.ts';
import { fixture } from './fixture.ts';

describe('parseVbdStats', () => {
  it('reads one line per backend device with exact counters', () => {
    expect(parseVbdStats(fixture('vbd-sysfs.txt'))).toEqual([
      { domid: 4, dev: 51712, rdSect: 112010n, wrSect: 31608n, rdReq: 2495n, wrReq: 1077n, ooReq: 0n },
      { domid: 4, dev: 51728, rdSect: 0n, wrSect: 2n ** 64n - 1n, rdReq: 0n, wrReq: 3n, ooReq: 1n },
    ]);
  });

  it('treats blank input as no VBDs', () => {
    expect(parseVbdStats('')).toEqual([]);
    expect(parseVbdStats('\n  \n')).toEqual([]);
  });

  const errors: { name: string; text: string; message: RegExp }[] = [
    { name: 'missing field', text: 'vbd-1-51712 1 2 3 4\n', message: /vbd output line 1: expected .* \(6 fields\), found 5/ },
    { name: 'extra field', text: 'vbd-1-51712 1 2 3 4 5\nvbd-1-51728 1 2 3 4 5 6\n', message: /line 2: .*found 7/ },
    { name: 'non-integer', text: 'vbd-1-51712 1 2 x 4 5\n', message: /line 1: rd_req: expected an unsigned integer, found "x"/ },
    { name: 'negative', text: 'vbd-1-51712 -1 2 3 4 5\n', message: /rd_sect/ },
    { name: 'bad device name', text: 'vif-1-0 1 2 3 4 5\n', message: /line 1: expected a device name vbd-<domid>-<dev>/ },
    { name: 'beyond 2^64', text: 'vbd-1-51712 18446744073709551616 2 3 4 5\n', message: /rd_sect/ },
  ];
  it.each(errors)('rejects $name', ({ text, message }) => {
    expect(() => parseVbdStats(text)).toThrowError(ParseError);
    expect(() => parseVbdStats(text)).toThrowError(message);
  });
});
