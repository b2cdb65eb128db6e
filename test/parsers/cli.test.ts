// `kamikazi parse` end to end: spawns bin/kamikazi, checks JSON keys/values, exit codes and one-line errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from './fixture.ts';

const BIN = fileURLToPath(new URL('../../bin/kamikazi', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kamikazi-parse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function kamikazi(args: string[], input?: string) {
  const r = spawnSync(BIN, ['parse', ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const XENTOP_KEYS = ['name', 'state', 'cpuSeconds', 'cpuPercent', 'memKiB', 'memPercent', 'maxMemKiB', 'maxMemPercent', 'vcpus', 'nets', 'netTxKiB', 'netRxKiB', 'vbds', 'vbdOo', 'vbdRd', 'vbdWr', 'vbdRsect', 'vbdWsect', 'ssid'];

describe('kamikazi parse', () => {
  it('xentop FILE: exact keys in order, nulls, and 2^64-range counters as exact JSON numbers', () => {
    const r = kamikazi(['xentop', file('xentop.txt', fixture('xentop-full-names-detail.txt'))]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(rows.map((o) => Object.keys(o))).toEqual([XENTOP_KEYS, XENTOP_KEYS]);
    expect(rows[0]).toMatchObject({ name: 'Domain-0', maxMemKiB: null, maxMemPercent: null, cpuSeconds: 22157, cpuPercent: 0.6 });
    expect(rows[1]).toMatchObject({ name: 'BB - backup2', netTxKiB: 36203731, netRxKiB: 35046295 });
    // JSON.parse would round it; the text must carry the exact digits, unquoted.
    expect(r.stdout).toContain('"vbdRsect": 18446744073562662986,');
  });

  it('xentop from stdin ("-" and no argument), pre-4.0 sector columns are null', () => {
    for (const args of [['xentop', '-'], ['xentop']]) {
      const r = kamikazi(args, fixture('xentop-pre40.txt'));
      expect(r.code).toBe(0);
      const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
      expect(rows.map((o) => [o.name, o.vbdRsect, o.vbdWsect, o.netTxKiB])).toEqual([['Domain-0', null, null, 0], ['jvm', null, null, 7551], ['utm', null, null, 17630]]);
    }
  });

  it('xl and ovs print their documented keys', () => {
    const xl = kamikazi(['xl', file('xl.json', fixture('xl-list-long.json'))]);
    expect(xl.code).toBe(0);
    expect(JSON.parse(xl.stdout)).toEqual([
      { domid: 0, name: 'Domain-0', uuid: null, state: null, memoryMiB: 15084, vcpus: 8 },
      { domid: 4, name: 'guest-01', uuid: '5a1f5ad5-8a0b-4bc9-a1e0-7b3d4a07d2c1', state: null, memoryMiB: 1024, vcpus: 2 },
    ]);
    const ovs = kamikazi(['ovs', '-'], fixture('ovs-list-interface-xcpng.json'));
    expect(ovs.code).toBe(0);
    const ifaces = JSON.parse(ovs.stdout) as Record<string, unknown>[];
    expect(Object.keys(ifaces[1]!)).toEqual(['name', 'ofport', 'statistics', 'externalIds']);
    expect(ifaces[1]).toMatchObject({ name: 'vif1.0', ofport: 2, statistics: { rx_bytes: 950026692, tx_bytes: 101259026443 }, externalIds: { 'xs-vm-uuid': '0ec00fdc-8127-8817-40d4-79d61797f87a' } });
  });

  const failures: { name: string; args: string[]; input?: string; message: RegExp }[] = [
    { name: 'malformed xentop', args: ['xentop', '-'], input: 'NAME STATE\nnot xentop\n', message: /xentop output line 1: unrecognised header/ },
    { name: 'malformed ovs JSON', args: ['ovs'], input: '{"data":[', message: /ovs-vsctl output line 1: invalid JSON/ },
    { name: 'unknown subcommand', args: ['xm'], message: /unknown format "xm"/ },
    { name: 'no subcommand', args: [], message: /usage: kamikazi parse/ },
    { name: 'missing file', args: ['xl', join(dir, 'nope.txt')], message: /cannot read/ },
  ];
  it.each(failures)('exits 2 with one stderr line on $name', ({ args, input, message }) => {
    const r = kamikazi(args, input ?? '');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
