// SshAdapter end to end: a real sshd on loopback whose login user runs the simulator's xl, xentop and
// ovs-vsctl executables; samples parse into the sim's domains, power actions change its state, consoles work.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { parseOvsInterfaces, parseVbdStats, parseXentop, parseXlListLong } from '../../src/hosts/parsers/index.ts';
import { writeSimBin } from '../../src/hosts/sim/bin.ts';
import { SHUTDOWN_MS } from '../../src/hosts/sim/fleet.ts';
import { createSimStateFile, loadSimFleet, readSimState, setSimStateNow } from '../../src/hosts/sim/state-file.ts';
import type { SimHostView } from '../../src/hosts/sim/types.ts';
import { SshAdapter } from '../../src/hosts/ssh/adapter.ts';
import type { ConsoleStream } from '../../src/hosts/types.ts';
import { silentLogger } from '../../src/log.ts';
import { ensureTestUser, startSshd, TEST_USER, type TestSshd } from '../support/sshd.ts';

const HOST = 'dom0-ssh';
const START = new Date('2026-03-01T00:00:00Z');
let now = new Date('2026-03-01T06:00:00Z');
let dir: string;
let stateFile: string;
let sshd: TestSshd;
let adapter: SshAdapter;
const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));

function view(): SimHostView {
  return loadSimFleet(readSimState(stateFile), now).hostView(HOST);
}

function advance(ms: number): void {
  now = new Date(now.getTime() + ms);
  setSimStateNow(stateFile, now);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kb-ssh-sim-'));
  chmodSync(dir, 0o755);
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir);
  stateFile = join(stateDir, 'fleet.json');
  createSimStateFile(stateFile, { seed: 11, start: START, hosts: [HOST], vmsPerHost: 4, host: HOST, now });
  // The executables run as the login user: it writes the state, its lock and the materialised sysfs.
  // (startSshd creates the user too, but later: on a fresh machine this file may be the first to need it.)
  ensureTestUser();
  execFileSync('chown', ['-R', `${TEST_USER}:`, stateDir]);
  writeSimBin(join(dir, 'bin'), stateFile);
  sshd = await startSshd({ pathDirs: [join(dir, 'bin')] });
  adapter = new SshAdapter(
    { name: HOST, address: sshd.address, port: sshd.port, username: sshd.username, keyPath: sshd.clientKeyPath, hostKey: sshd.hostKeyFingerprint, sysfsRoot: join(stateDir, 'sysfs'), xenConfigDir: '/etc/xen' },
    clock,
    { connectMs: 5000, commandMs: 20_000 },
    silentLogger,
  );
});

afterAll(async () => {
  await adapter?.close();
  await sshd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('SshAdapter against a real sshd and the sim executables', () => {
  it('samples in one round trip; every section parses into the sim’s domains', async () => {
    const before = sshd.log().match(/Starting session: command/g)?.length ?? 0;
    const s = await adapter.sample();
    expect(s.takenAt).toEqual(clock.now());
    // One exec request (channel) for all four sections.
    expect(sshd.log().match(/Starting session: command/g)?.length ?? 0).toBe(before + 1);
    const v = view();
    expect(v.domains.length).toBe(4);

    const xl = parseXlListLong(s.xlList).filter((d) => d.domid !== 0);
    expect(xl.map((d) => [d.uuid, d.name, d.domid]).sort()).toEqual(v.domains.map((d) => [d.uuid, d.name, d.domid]).sort());
    // The host's sha256sum of that text; sent back, the host answers "unchanged" instead of the text.
    expect(s.xlDigest).toBe(createHash('sha256').update(s.xlList).digest('hex'));
    expect(await adapter.sample({ xlDigest: s.xlDigest })).toMatchObject({ xlList: '', xlUnchanged: true, xlDigest: s.xlDigest });

    const top = parseXentop(s.xentop);
    expect(top.map((r) => r.name).sort()).toEqual(['Domain-0', ...v.domains.map((d) => d.name)].sort());

    const ovs = parseOvsInterfaces(s.ovs);
    for (const d of v.domains) {
      for (const vif of d.vifs) {
        const row = ovs.find((i) => i.name === `vif${d.domid}.${vif.devid}`);
        expect(row, `vif${d.domid}.${vif.devid}`).toBeDefined();
        expect(row!.statistics['rx_bytes']).toBe(vif.guestTxBytes);
        expect(row!.statistics['tx_bytes']).toBe(vif.guestRxBytes);
      }
    }

    // VBD counters come from the sim's materialised sysfs, not from xentop's broken VBD_RSECT.
    const vbd = parseVbdStats(s.vbd);
    const expected = v.domains.flatMap((d) => d.vbds.map((b) => ({ domid: d.domid, dev: b.dev, rdSect: b.rdSect, wrSect: b.wrSect, rdReq: b.rdReq, wrReq: b.wrReq, ooReq: b.ooReq })));
    expect(expected.length).toBeGreaterThan(0);
    const key = (x: { domid: number; dev: number }) => `${x.domid}-${x.dev}`;
    expect([...vbd].sort((a, b) => key(a).localeCompare(key(b)))).toEqual([...expected].sort((a, b) => key(a).localeCompare(key(b))));
  }, 90_000);

  it('shuts a domain down and starts it again; wrong-state actions are InvalidState', async () => {
    const vm = view().domains[1]!;
    await adapter.power(vm.name, 'shutdown');
    advance(SHUTDOWN_MS + 1000);
    expect(parseXlListLong(await adapter.listDomains()).some((d) => d.uuid === vm.uuid)).toBe(false);

    await expect(adapter.power(vm.name, 'shutdown')).rejects.toMatchObject({ code: 'InvalidState', message: expect.stringContaining(`cannot shutdown ${vm.name}: it is not running`) });
    await expect(adapter.power(vm.uuid, 'reboot')).rejects.toMatchObject({ code: 'InvalidState' });

    await adapter.power(vm.name, 'start');
    advance(1000);
    const back = parseXlListLong(await adapter.listDomains()).find((d) => d.uuid === vm.uuid);
    expect(back).toBeDefined();
    expect(back!.domid).not.toBe(vm.domid); // a new incarnation gets a new domid
    await expect(adapter.power(vm.name, 'start')).rejects.toMatchObject({ code: 'InvalidState', message: expect.stringContaining('already running') });
  }, 90_000);

  it('reboots by UUID and destroys by name', async () => {
    const [a, , , d] = view().domains;
    await adapter.power(a!.uuid, 'reboot');
    await adapter.power(d!.name, 'destroy');
    advance(1000);
    const after = view();
    expect(after.domains.find((x) => x.uuid === d!.uuid)).toBeUndefined();
    expect(after.domains.find((x) => x.uuid === a!.uuid)!.domid).not.toBe(a!.domid);
    await adapter.power(d!.name, 'start');
    advance(1000);
  }, 90_000);

  it('opens a console on a pty: login prompt, echo, answers, window size', async () => {
    const vm = view().domains[0]!;
    const con = await adapter.openConsole(vm.name, { cols: 132, rows: 40 });
    const screen = collect(con);
    await screen.waitFor(`${vm.name} login: `);
    con.write('root\r');
    await screen.waitFor('root\nPassword: ');
    con.write('secret\r');
    await screen.waitFor(`root@${vm.name}:~$ `);
    expect(screen.text()).not.toContain('secret'); // no echo at the password prompt
    con.write('stty size\r');
    await screen.waitFor('stty size\n40 132\n');
    con.resize!(100, 50); // window change request → SIGWINCH on the host
    await new Promise((r) => setTimeout(r, 300));
    con.write('stty size\r');
    await screen.waitFor('stty size\n50 100\n');
    con.write('hostname\r');
    await screen.waitFor(`hostname\n${vm.name}\n`);
    con.write('\x1d'); // Ctrl-] detaches, as with the real xl console
    await screen.ended();
  }, 90_000);

  it('reuses one TCP connection for many commands and shares a pending connect', async () => {
    const fresh = new SshAdapter(
      { address: sshd.address, port: sshd.port, username: sshd.username, keyPath: sshd.clientKeyPath, hostKey: sshd.hostKeyFingerprint, sysfsRoot: join(dir, 'state', 'sysfs') },
      clock,
      { connectMs: 5000, commandMs: 20_000 },
      silentLogger,
    );
    const before = sshd.connectionCount();
    const lists = await Promise.all([fresh.listDomains(), fresh.listDomains(), fresh.interfaceStats()]);
    for (let i = 0; i < 3; i++) await fresh.listDomains();
    expect(lists[0]).toBe(lists[1]);
    expect(fresh.connection.connects).toBe(1);
    expect(sshd.connectionCount() - before).toBe(1);
    await fresh.close();
    await fresh.listDomains(); // lazily reconnects after close
    expect(fresh.connection.connects).toBe(2);
    await fresh.close();
  }, 90_000);

  it('rejects shell metacharacters in a domain ref before anything is sent', async () => {
    const sessions = sshd.log().match(/Starting session/g)?.length ?? 0;
    await expect(adapter.power('web-1; xl destroy web-2', 'destroy')).rejects.toMatchObject({ code: 'InvalidDomain' });
    await expect(adapter.power('$(reboot)', 'start')).rejects.toMatchObject({ code: 'InvalidDomain' });
    await expect(adapter.openConsole('`id`')).rejects.toMatchObject({ code: 'InvalidDomain' });
    expect(sshd.log().match(/Starting session/g)?.length ?? 0).toBe(sessions);
  }, 90_000);
});

/**
 * Accumulates a console's output and waits for expected text (bounded). Line ends are compared as
 * `\n`: a pty whose program leaves output post-processing on turns the guest's `\r\n` into `\r\r\n`.
 */
function collect(con: ConsoleStream) {
  let raw = '';
  let ended = false;
  con.on('data', (b: Buffer) => (raw += b.toString('utf8')));
  const text = () => raw.replace(/\r+\n/g, '\n');
  con.on('close', () => (ended = true));
  const until = async (cond: () => boolean, what: string) => {
    const deadline = Date.now() + 15_000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`console: waited 15 s for ${what}; screen so far: ${JSON.stringify(raw.slice(-300))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    text,
    waitFor: (s: string) => until(() => text().includes(s), JSON.stringify(s)),
    ended: () => until(() => ended, 'the console to close'),
  };
}
