// SshAdapter failure modes against a real sshd on loopback: pinned host key, refused connections,
// refused keys, command timeouts (the remote command is killed), bad domain refs never sent.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { SshAdapter, type SshHostSettings } from '../../src/hosts/ssh/adapter.ts';
import { HostError } from '../../src/hosts/types.ts';
import { silentLogger } from '../../src/log.ts';
import { freePort, sshKeygen, startSshd, type TestSshd } from '../support/sshd.ts';

let sshd: TestSshd;
let dir: string;
/** A per-run marker so the kill check cannot see another run's sleeping process. */
const SLEEP = `${40 + Math.floor(Math.random() * 1000) / 1000}`;

beforeAll(async () => {
  // This server's "xl" hangs: the stand-in for a dom0 whose toolstack is stuck.
  dir = mkdtempSync(join(tmpdir(), 'kb-sshfail-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin, { mode: 0o755 });
  writeFileSync(join(bin, 'xl'), `#!/bin/sh\nexec sleep ${SLEEP}\n`, { mode: 0o755 });
  // A fast tool, so transport latency is measured rather than the simulator's start-up.
  writeFileSync(join(bin, 'ovs-vsctl'), `#!/bin/sh\nprintf '{"data":[],"headings":["name"]}\\n'\n`, { mode: 0o755 });
  sshd = await startSshd({ pathDirs: [bin], dir });
});
afterAll(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function settings(over: Partial<SshHostSettings> = {}): SshHostSettings {
  return { name: 'dom0-test', address: sshd.address, port: sshd.port, username: sshd.username, keyPath: sshd.clientKeyPath, hostKey: sshd.hostKeyFingerprint, ...over };
}

function adapter(over: Partial<SshHostSettings> = {}, commandMs = 5000): SshAdapter {
  return new SshAdapter(settings(over), new ManualClock(0), { connectMs: 3000, commandMs }, silentLogger);
}

async function failure(p: Promise<unknown>): Promise<HostError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HostError);
  return e as HostError;
}

describe('SshAdapter transport', () => {
  it('reuses one TCP connection for many commands; prints the per-exec latency', async () => {
    const a = adapter();
    const before = sshd.connectionCount();
    await a.interfaceStats(); // connect
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      expect(await a.interfaceStats()).toBe('{"data":[],"headings":["name"]}\n');
      times.push(performance.now() - t);
    }
    times.sort((x, y) => x - y);
    console.log(`ssh exec round trip (channel open + sh + tool + exit): median ${times[15]!.toFixed(1)} ms, p90 ${times[27]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms`);
    expect(a.connection.connects).toBe(1);
    expect(sshd.connectionCount() - before).toBe(1);
    await a.close();
  });

  it('concurrent first calls share one pending connect', async () => {
    const a = adapter();
    const before = sshd.connectionCount();
    const results = await Promise.all(Array.from({ length: 8 }, () => a.interfaceStats()));
    expect(new Set(results).size).toBe(1);
    expect(a.connection.connects).toBe(1);
    expect(sshd.connectionCount() - before).toBe(1);
    await a.close();
  });

  it('reconnects after the server drops the connection', async () => {
    const a = adapter();
    await a.interfaceStats();
    // sshd logs the pid of each connection's session process; killing it drops our connection.
    const pids = [...sshd.log().matchAll(/User child is on pid (\d+)/g)].map((m) => Number(m[1]));
    process.kill(pids[pids.length - 1]!, 'SIGTERM');
    await expect.poll(() => a.connection.connected, { timeout: 3000 }).toBe(false);
    expect(await a.interfaceStats()).toContain('headings');
    expect(a.connection.connects).toBe(2);
    await a.close();
  });
});

describe('SshAdapter failure modes', () => {
  it('refuses a host whose key does not match the pinned fingerprint, saying how to update it', async () => {
    const wrong = 'SHA256:' + 'A'.repeat(43);
    const a = adapter({ hostKey: wrong });
    const e = await failure(a.listDomains());
    expect(e.code).toBe('HostKeyMismatch');
    expect(e.message).toContain(`expected ${wrong}`);
    expect(e.message).toContain(`offered ${sshd.hostKeyFingerprint}`);
    expect(e.message).toContain('kamikazi hosts add dom0-test ... --host-key');
    await a.close();
  });

  it('fails fast with HostUnreachable when nothing listens', async () => {
    const port = await freePort('127.0.0.2');
    const a = adapter({ port });
    const t = performance.now();
    const e = await failure(a.listDomains());
    expect(e.code).toBe('HostUnreachable');
    expect(e.message).toMatch(/ECONNREFUSED/);
    expect(performance.now() - t).toBeLessThan(1000);
  });

  it('gives up on a host that accepts TCP but never speaks SSH after the connect timeout', async () => {
    const silent = createServer((sock) => sock.on('error', () => undefined)); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, sshd.address, r));
    const { port } = silent.address() as AddressInfo;
    const a = new SshAdapter(settings({ port }), new ManualClock(0), { connectMs: 600, commandMs: 5000 }, silentLogger);
    const t = performance.now();
    const e = await failure(a.listDomains());
    expect(e.code).toBe('HostTimeout');
    expect(e.message).toContain(`no SSH handshake with ${sshd.address}:${port} within 600 ms`);
    expect(performance.now() - t).toBeLessThan(600 + 1500);
    await a.close();
    silent.close();
  });

  it('names the key when authentication is refused', async () => {
    const otherKey = join(sshd.dir, 'stranger_key');
    sshKeygen(otherKey);
    const e = await failure(adapter({ keyPath: otherKey }).listDomains());
    expect(e.code).toBe('HostUnreachable');
    expect(e.message).toContain(`refused key authentication as kbtest with ${otherKey}`);
  });

  it('times a hung command out within the configured time, kills it, and keeps the connection usable', async () => {
    const a = adapter({}, 700);
    await a.connection.get(); // handshake outside the measured window
    const t = performance.now();
    const pending = failure(a.listDomains());
    // The hung command really runs on the host...
    await expect.poll(() => pgrepCount(`sleep ${SLEEP}`), { timeout: 600, interval: 25 }).toBe(1);
    const e = await pending;
    const took = performance.now() - t;
    expect(e.code).toBe('HostTimeout');
    expect(e.message).toMatch(/xl list did not finish within 700 ms/);
    expect(took).toBeGreaterThanOrEqual(690);
    expect(took).toBeLessThan(700 + 1500); // scheduling slack: the suite shares two loaded cores
    // The remote sleep was killed with the channel, not left behind.
    await expect.poll(() => pgrepCount(`sleep ${SLEEP}`), { timeout: 3000 }).toBe(0);
    // Same connection still serves the next command.
    await failure(a.listDomains());
    expect(a.connection.connects).toBe(1);
    await a.close();
  });

  it('rejects a domain ref with shell metacharacters before anything is sent', async () => {
    const a = adapter();
    for (const dom of ['web;reboot', '$(id)', 'a b', "x'y"]) {
      const e = await failure(a.power(dom, 'shutdown'));
      expect(e.code).toBe('InvalidDomain');
      await expect(a.openConsole(dom)).rejects.toMatchObject({ code: 'InvalidDomain' });
    }
    expect(a.connection.connects).toBe(0);
    expect(sshd.log()).not.toMatch(/reboot|\$\(id\)/);
  });
});

function pgrepCount(pattern: string): number {
  try {
    return Number(execFileSync('pgrep', ['-c', '-f', pattern], { encoding: 'utf8' }).trim());
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
}
