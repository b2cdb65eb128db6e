// The simulated serial console: banner, login, echo, tiny shell, single holder, boot messages on reboot.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { SimAdapter } from '../../src/hosts/sim/adapter.ts';
import { createSimFleet } from '../../src/hosts/sim/fleet.ts';
import { HostError, type ConsoleStream } from '../../src/hosts/types.ts';

const T0 = new Date('2026-05-01T00:00:00Z');

function setup() {
  const fleet = createSimFleet({ seed: 11, start: T0, hosts: 1, vmsPerHost: 3 });
  const clock = new ManualClock(new Date(T0.getTime() + 7_260_000));
  return { fleet, clock, adapter: new SimAdapter(fleet, 'sim-01', clock) };
}

/** Collects console output; `until` waits for a pattern in what arrived so far. */
function screen(con: ConsoleStream) {
  let text = '';
  con.on('data', (b: Buffer) => (text += b.toString('utf8')));
  return {
    get text() {
      return text;
    },
    async until(re: RegExp): Promise<string> {
      for (let i = 0; i < 200 && !re.test(text); i++) await new Promise((r) => setTimeout(r, 5));
      expect(text).toMatch(re);
      return text;
    },
  };
}

describe('sim console', () => {
  it('prints a banner and login prompt, echoes like a tty and answers a tiny shell', async () => {
    const { fleet, adapter } = setup();
    const vm = fleet.vms[0];
    const con = await adapter.openConsole(vm.name);
    const s = screen(con);
    await s.until(new RegExp(`${vm.name} login: $`));
    con.write('root\r');
    await s.until(/root\r\nPassword: $/);
    con.write('secret\r');
    await s.until(new RegExp(`root@${vm.name}:~\\$ $`));
    expect(s.text).not.toContain('secret');
    con.write('echo hello world\r');
    await s.until(/echo hello world\r\nhello world\r\n/);
    con.write('hostname\r');
    await s.until(new RegExp(`hostname\\r\\n${vm.name}\\r\\n`));
    con.write('uname -a\r');
    await s.until(/Linux .* x86_64 GNU\/Linux/);
    con.write('uptime\r');
    await s.until(/02:01:00 up 2:01,  1 user/);
    con.write('frobnicate\r');
    await s.until(/-bash: frobnicate: command not found/);
    con.write('ab\x7fc\r');
    await s.until(/ab\x08 \x08c\r\n-bash: ac: command not found/);
    con.destroy();
  });

  it('allows one console per domain; closing frees it', async () => {
    const { fleet, adapter } = setup();
    const vm = fleet.vms[1];
    const first = await adapter.openConsole(vm.uuid);
    const err = await adapter.openConsole(vm.name).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(HostError);
    expect((err as HostError).code).toBe('InvalidState');
    expect((err as HostError).message).toBe(`console of ${vm.name} is held by another session`);
    const other = await adapter.openConsole(fleet.vms[2].name); // a different domain is free
    other.destroy();
    first.destroy();
    const again = await adapter.openConsole(vm.name);
    again.end();
    await new Promise((r) => setTimeout(r, 10));
    (await adapter.openConsole(vm.name)).destroy();
  });

  it('prints boot messages on reboot and ends when the domain halts', async () => {
    const { fleet, clock, adapter } = setup();
    const vm = fleet.vms[0];
    const con = await adapter.openConsole(vm.name);
    const s = screen(con);
    con.write('root\rpw\r');
    await s.until(/:~\$ $/);
    await adapter.power(vm.name, 'reboot');
    await s.until(/Restarting system[\s\S]*Linux version[\s\S]*login: $/);
    await adapter.power(vm.name, 'shutdown');
    const ended = new Promise((r) => con.once('end', r));
    clock.advance(5000);
    await adapter.listDomains();
    await ended;
    expect(s.text).toMatch(/Power down/);
    const err = await adapter.openConsole(vm.name).then(() => null, (e: unknown) => e);
    expect((err as HostError).code).toBe('InvalidState');
    expect((err as HostError).message).toMatch(/not running/);
  });
});
