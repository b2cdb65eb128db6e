// parseXentop against real xentop samples, malformed input, and a property test that prints rows
// the way tools/xentop/xentop.c does and parses them back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError, type XentopRow } from '../../src/hosts/parsers/types.ts';
import { parseXentop } from '../../src/hosts/parsers/xentop.ts';
import { fixture } from './fixture.ts';

const HEADER_18 =
  '      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS NETS NETTX(k) NETRX(k) VBDS   VBD_OO   VBD_RD   VBD_WR  VBD_RSECT  VBD_WSECT SSID';
const HEADER_16 =
  '      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS NETS NETTX(k) NETRX(k) VBDS   VBD_OO   VBD_RD   VBD_WR SSID';
const DOM0 =
  '  Domain-0 -----r        632    0.3   15446944   92.3   no limit       n/a     8    0        0        0    0        0        0        0          0          0    0';

function row(p: Partial<XentopRow> & { name: string }): XentopRow {
  return {
    state: '------', cpuSeconds: 0n, cpuPercent: 0, memKiB: 0n, memPercent: 0, maxMemKiB: null, maxMemPercent: null,
    vcpus: 0, nets: 0, netTxKiB: 0n, netRxKiB: 0n, vbds: 0, vbdOo: 0n, vbdRd: 0n, vbdWr: 0n, vbdRsect: 0n, vbdWsect: 0n, ssid: 0,
    ...p,
  };
}

describe('parseXentop on real samples', () => {
  const cases: { fixture: string; expected: XentopRow[] }[] = [
    {
      fixture: 'xentop-4.1-screen.txt',
      expected: [
        row({ name: 'Domain-0', state: '-----r', cpuSeconds: 161513n, memKiB: 1048576n, memPercent: 3.1, vcpus: 8 }),
        row({
          name: 'virtual1', state: '--b---', cpuSeconds: 128529n, memKiB: 31457280n, memPercent: 93.8, maxMemKiB: 31457280n,
          maxMemPercent: 93.8, vcpus: 8, nets: 1, netTxKiB: 7604726n, netRxKiB: 17270964n, vbds: 2, vbdRd: 181258n,
          vbdWr: 3374788n, vbdRsect: 7781018n, vbdWsect: 69690752n,
        }),
      ],
    },
    {
      fixture: 'xentop-4.9-xl-top.txt',
      expected: [
        row({ name: 'Domain-0', state: '-----r', cpuSeconds: 632n, cpuPercent: 0.3, memKiB: 15446944n, memPercent: 92.3, vcpus: 8 }),
        row({
          name: 'guest-01', state: '--b---', cpuSeconds: 7n, memKiB: 1048576n, memPercent: 6.3, maxMemKiB: 1049600n, maxMemPercent: 6.3,
          vcpus: 2, nets: 1, netTxKiB: 113n, netRxKiB: 34n, vbds: 2, vbdRd: 2495n, vbdWr: 1077n, vbdRsect: 112010n, vbdWsect: 31608n,
        }),
      ],
    },
    {
      fixture: 'xentop-pre40.txt',
      expected: [
        row({ name: 'Domain-0', state: '-----r', cpuSeconds: 560n, memKiB: 1000448n, memPercent: 47.7, vcpus: 2, nets: 4, vbdRsect: null, vbdWsect: null }),
        row({
          name: 'jvm', state: '--b---', cpuSeconds: 236n, memKiB: 524288n, memPercent: 25, maxMemKiB: 524288n, maxMemPercent: 25, vcpus: 1,
          nets: 1, netTxKiB: 7551n, netRxKiB: 1447n, vbds: 1, vbdRd: 6142n, vbdWr: 43020n, vbdRsect: null, vbdWsect: null,
        }),
        row({
          name: 'utm', state: '--b---', cpuSeconds: 179n, memKiB: 524288n, memPercent: 25, maxMemKiB: 524288n, maxMemPercent: 25, vcpus: 1,
          nets: 7, netTxKiB: 17630n, netRxKiB: 10866n, vbds: 1, vbdRd: 6180n, vbdWr: 17994n, vbdRsect: null, vbdWsect: null,
        }),
      ],
    },
    {
      fixture: 'xentop-pre40-iterations.txt',
      expected: [
        row({ name: 'Domain-0', state: '-----r', cpuSeconds: 22158n, cpuPercent: 0.5, memKiB: 768768n, memPercent: 2.3, maxMemKiB: 768768n, maxMemPercent: 2.3, vcpus: 8, vbdRsect: null, vbdWsect: null }),
      ],
    },
    {
      fixture: 'xentop-truncated-names.txt',
      expected: [
        row({
          name: 'c2214-vkge', state: '-----r', cpuSeconds: 2084n, memKiB: 754978808n, memPercent: 93.9, maxMemKiB: 754978816n, maxMemPercent: 93.9,
          vcpus: 92, nets: 3, netTxKiB: 4249n, netRxKiB: 52707n, vbds: 4, vbdRd: 84460n, vbdWr: 75132n, vbdRsect: 4754377n, vbdWsect: 8759386n,
        }),
        row({ name: 'Domain-0', state: '-----r', cpuSeconds: 393575n, memKiB: 9357356n, memPercent: 1.2, maxMemKiB: 9437184n, maxMemPercent: 1.2, vcpus: 4 }),
      ],
    },
    {
      fixture: 'xentop-full-names-detail.txt',
      expected: [
        row({ name: 'Domain-0', state: '-----r', cpuSeconds: 22157n, cpuPercent: 0.6, memKiB: 768768n, memPercent: 2.3, vcpus: 8 }),
        row({
          name: 'BB - backup2', state: '--b---', cpuSeconds: 11235n, memKiB: 3145728n, memPercent: 4.7, maxMemKiB: 3145728n, maxMemPercent: 4.7,
          vcpus: 2, nets: 1, netTxKiB: 36203731n, netRxKiB: 35046295n, vbds: 1, vbdRd: 181258n, vbdWr: 3374788n,
          vbdRsect: 18446744073562662986n, vbdWsect: 69690752n,
        }),
      ],
    },
  ];
  it.each(cases)('$fixture', ({ fixture: name, expected }) => {
    expect(parseXentop(fixture(name))).toEqual(expected);
  });
});

describe('parseXentop edge cases', () => {
  it('takes the last iteration and falls back when the final one is cut off mid-line', () => {
    const second = DOM0.replace('   632 ', '   640 ');
    const text = `${HEADER_18}\n${DOM0}\n${HEADER_18}\n${second.slice(0, 60)}`;
    expect(parseXentop(text)[0]!.cpuSeconds).toBe(632n);
    expect(parseXentop(`${HEADER_18}\n${DOM0}\n${HEADER_18}\n${second}\n`)[0]!.cpuSeconds).toBe(640n);
    // Cut inside the header of the next iteration, or right after it.
    expect(parseXentop(`${HEADER_18}\n${DOM0}\n${HEADER_18.slice(0, 30)}`)[0]!.cpuSeconds).toBe(632n);
    expect(parseXentop(`${HEADER_18}\n${DOM0}\n${HEADER_18}\n`)[0]!.cpuSeconds).toBe(632n);
  });

  it('accepts a complete last line without its newline', () => {
    expect(parseXentop(`${HEADER_18}\n${DOM0}`)).toHaveLength(1);
  });

  it('reads n/a and - as null and "no limit" as one column', () => {
    const line = '  broken-vm --b---         12    1.5     524288   25.0   no limit       n/a     1    1        5        6    1        -        -        -          -          -    0';
    const [r] = parseXentop(`${HEADER_18}\n${line}\n`);
    expect(r).toMatchObject({ name: 'broken-vm', maxMemKiB: null, maxMemPercent: null, vbdOo: null, vbdRd: null, vbdWr: null, vbdRsect: null, vbdWsect: null, netTxKiB: 5n });
  });

  it('parses counters wider than their columns (2^64 - 1)', () => {
    const max = '18446744073709551615';
    const line = `  Domain-0 -----r ${max}    0.0 ${max}    2.3 ${max}       2.3     8    0 ${max} ${max}    0 ${max} ${max} ${max} ${max} ${max}    0`;
    const [r] = parseXentop(`${HEADER_18}\n${line}\n`);
    expect([r!.cpuSeconds, r!.memKiB, r!.maxMemKiB, r!.netTxKiB, r!.netRxKiB, r!.vbdOo, r!.vbdRd, r!.vbdWr, r!.vbdRsect, r!.vbdWsect]).toEqual(Array(10).fill(2n ** 64n - 1n));
  });

  const errors: { name: string; text: string; message: RegExp }[] = [
    { name: 'empty output', text: '', message: /xentop output: no header line/ },
    { name: 'row of an older xentop under a new header', text: `${HEADER_18}\n${DOM0.replace(/ +0 +0 +0$/, '    0')}\n`, message: /xentop output line 2: expected 18 columns after NAME, found 16 \(Xen < 4\.0 header has 16\)/ },
    { name: 'row with sector columns under a pre-4.0 header', text: `${HEADER_16}\n${DOM0}\n`, message: /line 2: expected 16 columns after NAME, found 18/ },
    { name: 'garbage line inside an iteration', text: `${HEADER_18}\n${DOM0}\nsegmentation fault\n${DOM0}\n`, message: /line 3: expected 18 columns after NAME/ },
    { name: 'garbage line in an earlier iteration', text: `${HEADER_18}\nwhat\n${HEADER_18}\n${DOM0}\n`, message: /line 2:/ },
    { name: 'non-numeric counter', text: `${HEADER_18}\n${DOM0.replace('15446944', '15446x44')}\n`, message: /line 2: column MEM\(k\): expected an unsigned 64-bit integer/ },
    { name: 'counter beyond 2^64', text: `${HEADER_18}\n${DOM0.replace('   632 ', ' 18446744073709551616 ')}\n`, message: /column CPU\(sec\)/ },
    { name: 'bad state letters', text: `${HEADER_18}\n${DOM0.replace('-----r', 'r-----')}\n`, message: /column STATE/ },
    { name: 'unknown header', text: `${HEADER_18.replace('SSID', 'FOO')}\n${DOM0}\n`, message: /line 1: unrecognised header/ },
    { name: 'text before the header', text: `hello\n${HEADER_18}\n${DOM0}\n`, message: /line 1: expected the header line/ },
    { name: 'only iteration cut off', text: `${HEADER_18}\n${DOM0.slice(0, 50)}`, message: /cut off/ },
    { name: 'detail line right after a header', text: `${HEADER_18}\nNet0 RX: 1bytes 1pkts 0err 0drop  TX: 1bytes 1pkts 0err 0drop\n`, message: /line 2/ },
    {
      name: 'xentop -r (header before every domain)',
      text: `${HEADER_18}\n${DOM0}\n${HEADER_18}\n${DOM0.replace('Domain-0', 'guest-01')}\n`,
      message: /line 3: header repeated before each domain \(xentop -r\)/,
    },
  ];
  it.each(errors)('rejects $name', ({ text, message }) => {
    expect(() => parseXentop(text)).toThrowError(ParseError);
    expect(() => parseXentop(text)).toThrowError(message);
  });
});

// ---- property test: a small printer with xentop.c's formats ----

interface Printed {
  name: string;
  flags: boolean[]; // d s b c p r
  cpu: bigint; cpuTenths: number; mem: bigint; memTenths: number;
  maxmem: { kib: bigint; tenths: number } | null;
  vcpus: number; nets: number; tx: bigint; rx: bigint; vbds: number;
  vbd: { oo: bigint; rd: bigint; wr: bigint; rsect: bigint; wsect: bigint } | null;
  ssid: number;
}

const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const smallU64 = fc.oneof(u64, fc.bigInt({ min: 0n, max: 99_999n }));
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const tenths = fc.integer({ min: 0, max: 10_000 });
const nameArb = fc
  .stringMatching(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,30}[A-Za-z0-9]$/)
  .filter((n) => !/(^| )[dsbcpr-]{6}( |$)/.test(n) && !/^NAME( |$)/.test(n));
const printedArb: fc.Arbitrary<Printed> = fc.record({
  name: nameArb,
  flags: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  cpu: smallU64, cpuTenths: tenths, mem: smallU64, memTenths: tenths,
  maxmem: fc.option(fc.record({ kib: smallU64, tenths }), { nil: null }),
  vcpus: u32, nets: u32, tx: smallU64, rx: smallU64, vbds: u32,
  vbd: fc.option(fc.record({ oo: smallU64, rd: smallU64, wr: smallU64, rsect: smallU64, wsect: smallU64 }), { nil: null }),
  ssid: u32,
});

const pad = (s: string | bigint | number, w: number) => String(s).padStart(w);
const pct = (t: number, w: number) => (t / 10).toFixed(1).padStart(w);

/** do_header + do_domain for one iteration, widths as adjust_field_widths computes them. */
function printIteration(domains: Printed[], full: boolean, sectors: boolean): string {
  const width = (base: number, vals: bigint[]) => Math.max(base, ...vals.map((v) => String(v).length));
  const nameW = full ? Math.max(10, ...domains.map((d) => d.name.length)) : 10;
  const txW = width(8, domains.map((d) => d.tx));
  const rxW = width(8, domains.map((d) => d.rx));
  const rdW = width(8, domains.map((d) => d.vbd?.rd ?? 0n));
  const wrW = width(8, domains.map((d) => d.vbd?.wr ?? 0n));
  const rsW = width(10, domains.map((d) => d.vbd?.rsect ?? 0n));
  const wsW = width(10, domains.map((d) => d.vbd?.wsect ?? 0n));
  const header = [
    pad('NAME', nameW), pad('STATE', 6), pad('CPU(sec)', 10), pad('CPU(%)', 6), pad('MEM(k)', 10), pad('MEM(%)', 6), pad('MAXMEM(k)', 10),
    pad('MAXMEM(%)', 9), pad('VCPUS', 5), pad('NETS', 4), pad('NETTX(k)', txW), pad('NETRX(k)', rxW), pad('VBDS', 4), pad('VBD_OO', 8),
    pad('VBD_RD', rdW), pad('VBD_WR', wrW), ...(sectors ? [pad('VBD_RSECT', rsW), pad('VBD_WSECT', wsW)] : []), pad('SSID', 4),
  ].join(' ');
  const lines = domains.map((d) => {
    const v = (x: bigint | undefined, w: number) => (d.vbd ? pad(x!, w) : pad('-', w));
    return [
      full ? pad(d.name, nameW) : d.name.slice(0, 10).padStart(10),
      d.flags.map((f, i) => (f ? 'dsbcpr'[i] : '-')).join(''),
      pad(d.cpu, 10), pct(d.cpuTenths, 6), pad(d.mem, 10), pct(d.memTenths, 6),
      d.maxmem ? pad(d.maxmem.kib, 10) : pad('no limit', 10), d.maxmem ? pct(d.maxmem.tenths, 9) : pad('n/a', 9),
      pad(d.vcpus, 5), pad(d.nets, 4), pad(d.tx, txW), pad(d.rx, rxW), pad(d.vbds, 4),
      v(d.vbd?.oo, 8), v(d.vbd?.rd, rdW), v(d.vbd?.wr, wrW), ...(sectors ? [v(d.vbd?.rsect, rsW), v(d.vbd?.wsect, wsW)] : []),
      pad(d.ssid, 4),
    ].join(' ');
  });
  return [header, ...lines].map((l) => `${l}\n`).join('');
}

function meant(d: Printed, full: boolean, sectors: boolean): XentopRow {
  return {
    name: full ? d.name : d.name.slice(0, 10).trim(),
    state: d.flags.map((f, i) => (f ? 'dsbcpr'[i] : '-')).join(''),
    cpuSeconds: d.cpu, cpuPercent: Number((d.cpuTenths / 10).toFixed(1)), memKiB: d.mem, memPercent: Number((d.memTenths / 10).toFixed(1)),
    maxMemKiB: d.maxmem?.kib ?? null, maxMemPercent: d.maxmem ? Number((d.maxmem.tenths / 10).toFixed(1)) : null,
    vcpus: d.vcpus, nets: d.nets, netTxKiB: d.tx, netRxKiB: d.rx, vbds: d.vbds,
    vbdOo: d.vbd?.oo ?? null, vbdRd: d.vbd?.rd ?? null, vbdWr: d.vbd?.wr ?? null,
    vbdRsect: sectors ? (d.vbd?.rsect ?? null) : null, vbdWsect: sectors ? (d.vbd?.wsect ?? null) : null,
    ssid: d.ssid,
  };
}

describe('parseXentop property: parsing what xentop.c prints gives back what it meant', () => {
  const iterationsArb = fc.array(fc.array(printedArb, { minLength: 2, maxLength: 5 }), { minLength: 1, maxLength: 3 });
  it('round-trips the last iteration (with/without -f, with/without sector columns)', () => {
    fc.assert(
      fc.property(iterationsArb, fc.boolean(), fc.boolean(), (iterations, full, sectors) => {
        const text = iterations.map((it) => printIteration(it, full, sectors)).join('');
        expect(parseXentop(text)).toEqual(iterations.at(-1)!.map((d) => meant(d, full, sectors)));
      }),
      { numRuns: 200 },
    );
  });

  it('falls back to the previous iteration when the last is cut before its final column', () => {
    fc.assert(
      fc.property(iterationsArb.filter((its) => its.length >= 2), fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true }), (iterations, full, at) => {
        const text = iterations.map((it) => printIteration(it, full, true)).join('');
        const lastStart = text.length - printIteration(iterations.at(-1)!, full, true).length;
        // Cut anywhere in the last iteration before the last line's SSID value starts.
        const ssidStart = text.trimEnd().lastIndexOf(' ') + 1;
        const cut = lastStart + Math.floor(at * (ssidStart - lastStart - 1)) + 1;
        const truncated = text.slice(0, cut);
        if (truncated.endsWith('\n')) return; // a cut exactly at a line end leaves whole lines
        expect(parseXentop(truncated)).toEqual(iterations.at(-2)!.map((d) => meant(d, full, true)));
      }),
      { numRuns: 200 },
    );
  });
});
