// LocalAdapter with the simulator's xl/xentop/ovs-vsctl first on PATH: same argv as over SSH, no shell.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { LocalAdapter } from '../../src/hosts/local.ts';
import { parseOvsInterfaces, parseVbdStats, parseXentop, parseXlListLong } from '../../src/hosts/parsers/index.ts';
import { writeSimBin } from '../../src/hosts/sim/bin.ts';
import { SHUTDOWN_MS } from '../../src/hosts/sim/fleet.ts';
import { createSimStateFile, loadSimFleet, readSimState, setSimStateNow } from '../../src/hosts/sim/state-file.ts';
import type { SimHostView } from '../../src/hosts/sim/types.ts';
import type { ConsoleStream } from '../../src/hosts/types.ts';
import { silentLogger } from '../../src/log.ts';

const HOST = 'dom0-local';
let now = new Date('2026-04-01T12:00:00Z');
let dir: string;
let stateFile: string;
let adapter: LocalAdapter;
const clock = new ManualClock(new Date('2031-05-06T07:08:09Z'));

function view(): SimHostView {
  return loadSimFleet(readSimState(stateFile), now).hostView(HOST);
}

function advance(ms: number): void {
  now = new Date(now.getTime() + ms);
  setSimStateNow(stateFile, now);
}

function withPath(...dirs: string[]): NodeJS.ProcessEnv {
  return { ...process.env, PATH: [...dirs, process.env.PATH ?? '/usr/bin:/bin'].join(':') };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-local-sim-'));
  stateFile = join(dir, 'state', 'fleet.json');
  createSimStateFile(stateFile, { seed: 5, start: new Date('2026-04-01T00:00:00Z'), hosts: [HOST], vmsPerHost: 3, host: HOST, now });
  writeSimBin(join(dir, 'bin'), stateFile);
  adapter = new LocalAdapter({ name: HOST, sysfsRoot: join(dir, 'state', 'sysfs'), env: withPath(join(dir, 'bin')) }, clock, { commandMs: 30_000 }, silentLogger);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('LocalAdapter with the sim executables', () => {
  it('samples all four sections; they parse into the sim’s domains and sysfs VBDs', async () => {
    const s = await adapter.sample();
    expect(s.takenAt).toEqual(clock.now());
    const v = view();
    expect(parseXlListLong(s.xlList).filter((d) => d.domid !== 0).map((d) => d.uuid).sort()).toEqual(v.domains.map((d) => d.uuid).sort());
    expect(parseXentop(s.xentop).length).toBe(v.domains.length + 1);
    const ovs = parseOvsInterfaces(s.ovs);
    const vif = v.domains[0]!.vifs[0]!;
    expect(ovs.find((i) => i.name === `vif${v.domains[0]!.domid}.${vif.devid}`)?.statistics['rx_bytes']).toBe(vif.guestTxBytes);
    const vbd = parseVbdStats(s.vbd);
    expect(vbd.length).toBe(v.domains.reduce((n, d) => n + d.vbds.length, 0));
    const first = v.domains[0]!.vbds[0]!;
    expect(vbd.find((x) => x.domid === v.domains[0]!.domid && x.dev === first.dev)).toMatchObject({ rdSect: first.rdSect, wrSect: first.wrSect });
  }, 90_000);

  it('power actions change the sim; wrong-state actions are InvalidState', async () => {
    const vm = view().domains[2]!;
    await adapter.power(vm.name, 'shutdown');
    advance(SHUTDOWN_MS + 1000);
    expect(view().domains.some((d) => d.uuid === vm.uuid)).toBe(false);
    await expect(adapter.power(vm.name, 'destroy')).rejects.toMatchObject({ code: 'InvalidState' });
    await adapter.power(vm.name, 'start');
    advance(1000);
    expect(view().domains.some((d) => d.uuid === vm.uuid)).toBe(true);
    await expect(adapter.power(vm.name, 'start')).rejects.toMatchObject({ code: 'InvalidState' });
  }, 90_000);

  it('opens the console on a pty via script(1): prompt, answers, window size', async () => {
    const vm = view().domains[0]!;
    const con = await adapter.openConsole(vm.name, { cols: 120, rows: 33 });
    const screen = collect(con);
    await screen.waitFor(`${vm.name} login: `);
    con.write('admin\r');
    await screen.waitFor('Password: ');
    con.write('pw\r');
    await screen.waitFor(`admin@${vm.name}:~$ `);
    con.write('stty size\r');
    await screen.waitFor('33 120\n');
    con.write('echo hi there\r');
    await screen.waitFor('hi there\n');
    con.write('\x1d');
    await screen.ended();
  }, 90_000);

  it('says which tool is missing from PATH', async () => {
    const bare = new LocalAdapter({ env: { PATH: join(dir, 'empty') } }, clock, { commandMs: 5000 }, silentLogger);
    await expect(bare.listDomains()).rejects.toMatchObject({ code: 'CommandFailed', message: expect.stringContaining('xl list -l exited 127 (not found on PATH)') });
  });

  it('kills a hung tool at the command timeout', async () => {
    const slow = join(dir, 'slow');
    mkdirSync(slow);
    writeFileSync(join(slow, 'xl'), '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const a = new LocalAdapter({ env: withPath(slow) }, clock, { commandMs: 400 }, silentLogger);
    const t = performance.now();
    await expect(a.listDomains()).rejects.toMatchObject({ code: 'HostTimeout' });
    expect(performance.now() - t).toBeLessThan(2000);
  });

  it('rejects a domain ref with shell metacharacters before spawning anything', async () => {
    const never = new LocalAdapter({ env: { PATH: '/nonexistent' } }, clock, { commandMs: 1000 }, silentLogger);
    await expect(never.power('x;reboot', 'reboot')).rejects.toMatchObject({ code: 'InvalidDomain' });
    await expect(never.openConsole('$(id)')).rejects.toMatchObject({ code: 'InvalidDomain' });
  });
});

function collect(con: ConsoleStream) {
  let raw = '';
  let ended = false;
  con.on('data', (b: Buffer) => (raw += b.toString('utf8')));
  con.on('end', () => (ended = true));
  const text = () => raw.replace(/\r+\n/g, '\n');
  const until = async (cond: () => boolean, what: string) => {
    const deadline = Date.now() + 20_000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`console: waited 20 s for ${what}; screen so far: ${JSON.stringify(raw.slice(-300))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { waitFor: (s: string) => until(() => text().includes(s), JSON.stringify(s)), ended: () => until(() => ended, 'the console to end') };
}
