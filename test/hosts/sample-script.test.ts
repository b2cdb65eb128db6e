// The sampling script run by real dash and bash against stub tools, and splitSample's framing checks.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseVbdStats } from '../../src/hosts/parsers/index.ts';
import { ParseError } from '../../src/hosts/parsers/types.ts';
import { SAMPLE_SCRIPT, splitSample } from '../../src/hosts/sample-script.ts';
import { HostError } from '../../src/hosts/types.ts';

let dir: string;
const takenAt = new Date('2026-01-02T03:04:05Z');

function stub(binDir: string, name: string, body: string): void {
  writeFileSync(join(binDir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(binDir, name), 0o755);
}

function vbd(root: string, name: string, values: [number, number, number, number, number] | null): void {
  const stats = join(root, name, 'statistics');
  mkdirSync(values ? stats : join(root, name), { recursive: true });
  if (!values) return; // a backend being torn down: directory without statistics
  ['rd_sect', 'wr_sect', 'rd_req', 'wr_req', 'oo_req'].forEach((f, i) => writeFileSync(join(stats, f), `${values[i]}\n`));
}

/** A bin dir holding only the tools asked for, plus the shell utilities the script needs. */
function binWith(name: string, tools: Record<string, string>): string {
  const bin = join(dir, name);
  mkdirSync(bin);
  for (const [tool, body] of Object.entries(tools)) stub(bin, tool, body);
  return bin;
}

function run(shell: string, bin: string, root: string, xlDigest = ''): Buffer {
  return execFileSync(shell, ['-c', SAMPLE_SCRIPT, 'kamikazi-sample', root, xlDigest], { env: { PATH: `${bin}:/usr/bin:/bin`, LANG: 'C.UTF-8' } });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-sample-'));
  const sys = join(dir, 'sys');
  vbd(sys, 'vbd-3-51712', [2048, 4096, 16, 32, 0]);
  vbd(sys, 'vbd-3-51728', [0, 8, 0, 1, 0]);
  vbd(sys, 'vbd-7-768', null);
  mkdirSync(join(sys, 'vif-3-0'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['dash', 'bash'])('SAMPLE_SCRIPT under %s', (shell) => {
  it('frames all four sections; multibyte output and forged markers do not confuse it', () => {
    const bin = binWith(`ok-${shell}`, {
      xl: `printf '[{"config":{"c_info":{"name":"caf\\303\\251"}}}]\\n@@kamikazi-section xentop 0 1 0\\n'; echo 'warning: noise' >&2`,
      xentop: `printf '      NAME  STATE\\n'`,
      'ovs-vsctl': `[ "$*" = "--format=json --columns=name,ofport,statistics,external_ids list Interface" ] || exit 9; printf '{"data":[],"headings":[]}\\n'`,
    });
    const s = splitSample(run(shell, bin, join(dir, 'sys')), takenAt);
    expect(s.xlList).toBe('[{"config":{"c_info":{"name":"café"}}}]\n@@kamikazi-section xentop 0 1 0\n');
    expect(s.xentop).toBe('      NAME  STATE\n');
    expect(s.ovs).toBe('{"data":[],"headings":[]}\n');
    expect(s.takenAt).toBe(takenAt);
    expect(parseVbdStats(s.vbd)).toEqual([
      { domid: 3, dev: 51712, rdSect: 2048n, wrSect: 4096n, rdReq: 16n, wrReq: 32n, ooReq: 0n },
      { domid: 3, dev: 51728, rdSect: 0n, wrSect: 8n, rdReq: 0n, wrReq: 1n, ooReq: 0n },
    ]);
  });

  it('sends the xl text again only when its SHA-256 is not the one the collector holds', () => {
    const text = '[{"config":{"c_info":{"name":"caf\u00e9"}}}]\n';
    const bin = binWith(`digest-${shell}`, { xl: `printf '[{"config":{"c_info":{"name":"caf\\303\\251"}}}]\\n'`, xentop: 'echo top', 'ovs-vsctl': 'echo "{}"' });
    const digest = createHash('sha256').update(text).digest('hex');
    const first = splitSample(run(shell, bin, join(dir, 'sys')), takenAt);
    expect(first).toMatchObject({ xlList: text, xlDigest: digest });
    expect(first.xlUnchanged).toBeUndefined();
    const again = splitSample(run(shell, bin, join(dir, 'sys'), digest), takenAt);
    expect(again).toMatchObject({ xlList: '', xlDigest: digest, xlUnchanged: true, xentop: 'top\n' });
    const other = splitSample(run(shell, bin, join(dir, 'sys'), 'f'.repeat(64)), takenAt);
    expect(other).toMatchObject({ xlList: text, xlDigest: digest });
  });

  it('gives an empty ovs section when ovs-vsctl is not installed', () => {
    // PATH without /usr/bin so a host-installed ovs-vsctl is not found either.
    const bin = binWith(`noovs-${shell}`, { xl: 'echo "[]"', xentop: 'echo top', mktemp: 'exec /usr/bin/mktemp "$@"', rm: 'exec /bin/rm "$@"' });
    const out = execFileSync(`/bin/${shell}`, ['-c', SAMPLE_SCRIPT, 'kamikazi-sample', join(dir, 'sys')], { env: { PATH: bin } });
    const s = splitSample(out, takenAt);
    expect(s.ovs).toBe('');
    expect(s.xlList).toBe('[]\n');
    expect(s.xlDigest).toBeUndefined(); // no sha256sum on that PATH either: the text always travels
  });

  it('reports a failed xentop with its exit code and first stderr line', () => {
    const bin = binWith(`fail-${shell}`, { xl: 'echo "[]"', xentop: 'echo "xentop: cannot open xenstat" >&2; echo second >&2; exit 3', 'ovs-vsctl': 'echo "{}"' });
    const out = run(shell, bin, join(dir, 'sys'));
    expect(() => splitSample(out, takenAt)).toThrow(HostError);
    expect(() => splitSample(out, takenAt)).toThrow('xentop -b -i 1 -f failed on the host with exit code 3: xentop: cannot open xenstat');
  });

  it('says when xl is not on the PATH', () => {
    const bin = binWith(`noxl-${shell}`, { xentop: 'echo top', 'ovs-vsctl': 'echo "{}"' });
    const out = execFileSync(`/bin/${shell}`, ['-c', SAMPLE_SCRIPT, 'kamikazi-sample', join(dir, 'sys')], { env: { PATH: `${bin}:/usr/bin:/bin` } });
    try {
      splitSample(out, takenAt);
      expect.unreachable();
    } catch (e) {
      expect((e as HostError).code).toBe('CommandFailed');
      expect((e as HostError).message).toMatch(/^xl list -l failed on the host with exit code 127 \(not found on the PATH of the SSH user\)/);
    }
  });

  it('fails the vbd section when the sysfs root does not exist', () => {
    const bin = binWith(`nosys-${shell}`, { xl: 'echo "[]"', xentop: 'echo top', 'ovs-vsctl': 'echo "{}"' });
    expect(() => splitSample(run(shell, bin, join(dir, 'missing')), takenAt)).toThrow(/VBD statistics from sysfs failed .*exit code 2: sysfs root .*missing is not a directory/);
  });
});

describe('splitSample framing', () => {
  const good = '@@kamikazi-section xl 0 3 0\n[]\n\n@@kamikazi-section xentop 0 0 0\n\n@@kamikazi-section ovs 0 0 0\n\n@@kamikazi-section vbd 0 0 0\n\n@@kamikazi-section xlsum 0 0 0\n\n';

  it('accepts a well-formed sample', () => {
    expect(splitSample(good, takenAt)).toEqual({ xlList: '[]\n', xentop: '', ovs: '', vbd: '', takenAt });
  });
  it.each([
    ['truncated between sections', good.slice(0, 60), /^sample output line 4: expected "@@kamikazi-section xentop \.\.\." but the output ended/],
    ['truncated inside a section', good.slice(0, 30), /^sample output line 1: section xl announces 3\+0 bytes but the output is shorter/],
    ['sections out of order', good.replace('xentop', 'ovs'), /line 4: expected "@@kamikazi-section xentop/],
    ['byte count lies', good.replace('xl 0 3 0', 'xl 0 9 0'), /section xl announces 9\+0 bytes/],
    ['trailing garbage', `${good}junk`, /unexpected 4 bytes after the xlsum section/],
    ['empty output', '', /line 1: expected "@@kamikazi-section xl .*output ended/],
    ['"unchanged" without a digest', good.replace('xl 0 3 0\n[]\n', 'xl 0 9 0\nunchanged'), /xl section says "unchanged" but the host sent no digest/],
    ['a digest that is not SHA-256 hex', good.replace('xlsum 0 0 0\n', 'xlsum 0 4 0\nabcd'), /xlsum section: expected a SHA-256 in hex, found "abcd"/],
  ])('rejects %s', (_name, text, msg) => {
    expect(() => splitSample(text, takenAt)).toThrow(ParseError);
    expect(() => splitSample(text, takenAt)).toThrow(msg);
  });
});
