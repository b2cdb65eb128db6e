// The sim as real executables (`xl`, `xentop`, `ovs-vsctl`) run via execFile, as sshd would run them.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOvsInterfaces, parseVbdStats, parseXentop, parseXlListLong, parseXlListPlain } from '../../src/hosts/parsers/index.ts';
import { writeSimBin } from '../../src/hosts/sim/bin.ts';
import { printOvsInterfaces, printVbdStats, printXentop, printXlListLong } from '../../src/hosts/sim/print.ts';
import { createSimStateFile, loadSimFleet, readSimState, setSimStateNow } from '../../src/hosts/sim/state-file.ts';

const run = promisify(execFile);
const T0 = new Date('2026-06-01T00:00:00Z');
const NOW = new Date(T0.getTime() + 3 * 3600_000 + 123);
let dir: string;
let state: string;
let bin: string;

async function tool(name: string, args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const p = run(join(bin, name), args, { timeout: 30_000 });
    if (stdin !== undefined) p.child.stdin?.end(stdin);
    const r = await p;
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kamikazi-sim-'));
  state = join(dir, 'state', 'fleet.json');
  bin = join(dir, 'bin');
  createSimStateFile(state, { seed: 21, start: T0, hosts: 2, vmsPerHost: 3, hvmShare: 0.5, host: 'sim-02', now: NOW, vbdRsectGarbage: true });
  writeSimBin(bin, state);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sim executables', () => {
  it('print exactly what the in-process fleet prints at the same time, and the parsers accept it', async () => {
    const [xt, xl, ovs, plain] = await Promise.all([
      tool('xentop', ['-b', '-i', '1', '-f']),
      tool('xl', ['list', '-l']),
      tool('ovs-vsctl', ['--format=json', 'list', 'Interface']),
      tool('xl', ['list']),
    ]);
    const view = loadSimFleet(readSimState(state), NOW).hostView('sim-02');
    expect(xt).toEqual({ code: 0, stdout: printXentop(view, { full: true }), stderr: '' });
    expect(xl.stdout).toBe(printXlListLong(view));
    expect(ovs.stdout).toBe(printOvsInterfaces(view));
    expect(parseXentop(xt.stdout).map((r) => r.name).sort()).toEqual(['Domain-0', ...view.domains.map((d) => d.name)].sort());
    expect(parseXlListLong(xl.stdout).map((d) => d.uuid)).toContain(view.domains[0].uuid);
    expect(parseXlListPlain(plain.stdout).map((d) => d.domid)).toEqual([0, ...view.domains.map((d) => d.domid)]);
    expect(parseOvsInterfaces(ovs.stdout).filter((i) => /^vif\d+\.\d+$/.test(i.name))).toHaveLength(view.domains.reduce((n, d) => n + d.vifs.length, 0));
    // the fake sysfs tree holds the same VBD statistics
    const sysfs = join(dir, 'state', 'sysfs');
    const lines = readdirSync(sysfs).sort().map((e) => {
      const f = (n: string): string => readFileSync(join(sysfs, e, 'statistics', n), 'utf8').trim();
      return `${e} ${f('rd_sect')} ${f('wr_sect')} ${f('rd_req')} ${f('wr_req')} ${f('oo_req')}`;
    });
    expect(parseVbdStats(lines.join('\n') + '\n')).toEqual(parseVbdStats(printVbdStats(view)).sort((a, b) => `vbd-${a.domid}-${a.dev}`.localeCompare(`vbd-${b.domid}-${b.dev}`)));
  }, 120_000);

  it('records power commands in the state file and applies real state rules', async () => {
    const before = loadSimFleet(readSimState(state), NOW).hostView('sim-02').domains[0];
    const reboot = await tool('xl', ['reboot', before.name]);
    expect(reboot).toMatchObject({ code: 0, stderr: `Rebooting domain ${before.domid}\n` });
    expect(readSimState(state).commands).toEqual([{ at: NOW.toISOString(), op: 'power', host: 'sim-02', domain: before.uuid, action: 'reboot' }]);
    const later = new Date(NOW.getTime() + 60_000);
    setSimStateNow(state, later);
    const listed = parseXlListLong((await tool('xl', ['list', '-l'])).stdout).find((d) => d.uuid === before.uuid);
    expect(listed?.domid).not.toBe(before.domid);
    expect(await tool('xl', ['destroy', String(listed?.domid)])).toMatchObject({ code: 0 });
    expect(await tool('xl', ['shutdown', before.name])).toMatchObject({ code: 1, stderr: expect.stringMatching(/not running/) });
    expect(await tool('xl', ['create', `/etc/xen/${before.name}.cfg`])).toMatchObject({ code: 0, stderr: `Parsing config from /etc/xen/${before.name}.cfg\n` });
    expect(await tool('xl', ['create', `/etc/xen/${before.name}.cfg`])).toMatchObject({ code: 1, stderr: expect.stringMatching(/already running/) });
    expect(readSimState(state).commands.map((c) => (c.op === 'power' ? c.action : c.op))).toEqual(['reboot', 'destroy', 'start']);
  }, 120_000);

  it('also runs through tsx when not bundled, with identical output', async () => {
    const plainBin = join(dir, 'bin-tsx');
    writeSimBin(plainBin, state, { bundle: false });
    expect(readFileSync(join(plainBin, 'xl'), 'utf8')).toContain('--import');
    const viaTsx = await run(join(plainBin, 'xentop'), ['-b', '-i', '1', '-f']);
    expect(viaTsx.stdout).toBe((await tool('xentop', ['-b', '-i', '1', '-f'])).stdout);
  }, 120_000);

  it('ovs-vsctl --columns prints those columns in that order, with the same interfaces and counters', async () => {
    const cols = ['name', 'ofport', 'statistics', 'external_ids'];
    const some = await tool('ovs-vsctl', ['--format=json', `--columns=${cols.join(',')}`, 'list', 'Interface']);
    const all = await tool('ovs-vsctl', ['--format=json', 'list', 'Interface']);
    expect(some.code).toBe(0);
    expect((JSON.parse(some.stdout) as { headings: string[] }).headings).toEqual(cols);
    expect(some.stdout.length * 2).toBeLessThan(all.stdout.length);
    expect(parseOvsInterfaces(some.stdout)).toEqual(parseOvsInterfaces(all.stdout));
    expect(await tool('ovs-vsctl', ['--format=json', '--columns=name,bogus', 'list', 'Interface'])).toMatchObject({
      code: 1,
      stderr: 'ovs-vsctl: Interface does not contain a column whose name matches "bogus"\n',
    });
  }, 120_000);

  it('rejects unknown arguments like the real tools', async () => {
    expect(await tool('xl', ['frobnicate'])).toMatchObject({ code: 1, stderr: 'command not implemented: frobnicate\n' });
    expect(await tool('xl', ['shutdown', 'nope'])).toMatchObject({ code: 1, stderr: 'nope is an invalid domain identifier (rc=-6)\n' });
    expect(await tool('xentop', ['-q'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/invalid option/) });
    expect(await tool('ovs-vsctl', ['show'])).toMatchObject({ code: 1, stderr: "ovs-vsctl: unknown command 'show'; use --help for help\n" });
  }, 120_000);

  it('serves `xl console` on stdin/stdout, one session per domain, Ctrl-] detaches', async () => {
    const name = loadSimFleet(readSimState(state), new Date(NOW.getTime() + 60_000)).hostView('sim-02').domains[1].name;
    const child = spawn(join(bin, 'xl'), ['console', name], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    for (let i = 0; i < 600 && !out.includes('login: '); i++) await new Promise((r) => setTimeout(r, 10));
    expect(out).toContain(`${name} login: `);
    const second = await tool('xl', ['console', name]);
    expect(second).toMatchObject({ code: 1, stderr: `xl: console of ${name} is held by another session\n` });
    child.stdin.write('root\rpw\recho via ssh\r');
    for (let i = 0; i < 300 && !out.includes('via ssh\r\nroot@'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(out).toContain('echo via ssh\r\nvia ssh\r\n');
    const code = new Promise((r) => child.once('exit', r));
    child.stdin.write('\x1d');
    expect(await code).toBe(0);
    // the session marker is gone, so the console can be opened again
    expect(readdirSync(join(dir, 'state')).filter((f) => f.startsWith('console-'))).toEqual([]);
  }, 120_000);
});
