// A fake serial console (`xl console`) for a simulated domain: banner, login, a tiny shell, tty echo,
// boot messages on reboot. One holder per domain, like xenconsoled's single client.
import { Duplex } from 'node:stream';
import type { Clock } from '../../clock.ts';
import { HostError, type ConsoleStream } from '../types.ts';
import type { SimFleet } from './fleet.ts';
import type { SimDomainEvent } from './types.ts';

type Phase = 'login' | 'password' | 'shell';

export class SimConsole extends Duplex implements ConsoleStream {
  private phase: Phase = 'login';
  private line = '';
  private user = '';
  private cols = 80;
  private rows = 24;
  private readonly cleanup: (() => void)[] = [];
  private finished = false;

  constructor(
    private fleet: SimFleet,
    private readonly uuid: string,
    private readonly name: string,
    private readonly clock: Clock,
    release: () => void,
  ) {
    super();
    this.cleanup.push(release, fleet.onDomainEvent(uuid, (e) => this.onDomainEvent(e)));
    this.once('close', () => this.finish());
    this.out(`\r\nDebian GNU/Linux 12 ${name} hvc0\r\n\r\n${name} login: `);
  }

  resize(cols: number, rows: number): void {
    this.cols = cols;
    this.rows = rows;
  }

  override _read(): void {
    // Output is pushed as the guest "prints"; nothing to pull.
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    for (const ch of text) this.key(ch);
    done();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.finish();
    this.push(null);
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.finish();
    done(err);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const fn of this.cleanup) fn();
  }

  private out(s: string): void {
    if (!this.finished) this.push(Buffer.from(s, 'utf8'));
  }

  private key(ch: string): void {
    if (ch === '\r' || ch === '\n') {
      if (ch === '\n' && this.lastWasCr) {
        this.lastWasCr = false;
        return;
      }
      this.lastWasCr = ch === '\r';
      this.out('\r\n');
      const line = this.line;
      this.line = '';
      this.enter(line);
      return;
    }
    this.lastWasCr = false;
    if (ch === '\x7f' || ch === '\b') {
      if (this.line.length > 0) {
        this.line = this.line.slice(0, -1);
        if (this.phase !== 'password') this.out('\b \b');
      }
      return;
    }
    if (ch === '\x03') {
      this.line = '';
      this.out('^C\r\n');
      this.prompt();
      return;
    }
    if (ch < ' ') return;
    this.line += ch;
    // A tty echoes what is typed, except at the password prompt.
    if (this.phase !== 'password') this.out(ch);
  }

  private lastWasCr = false;

  private prompt(): void {
    if (this.phase === 'login') this.out(`${this.name} login: `);
    else if (this.phase === 'password') this.out('Password: ');
    else this.out(`${this.user}@${this.name}:~$ `);
  }

  private enter(line: string): void {
    if (this.phase === 'login') {
      if (line.trim() === '') return this.prompt();
      this.user = line.trim();
      this.phase = 'password';
      return this.prompt();
    }
    if (this.phase === 'password') {
      this.phase = 'shell';
      this.out(`Linux ${this.name} 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 x86_64\r\n\r\n`);
      return this.prompt();
    }
    this.out(this.run(line.trim()));
    this.prompt();
  }

  private run(cmd: string): string {
    if (cmd === '') return '';
    if (cmd === 'exit' || cmd === 'logout') {
      this.phase = 'login';
      this.out('logout\r\n\r\n');
      return `Debian GNU/Linux 12 ${this.name} hvc0\r\n\r\n`;
    }
    if (cmd === 'echo' || cmd.startsWith('echo ')) return cmd.slice(5) + '\r\n';
    if (cmd === 'hostname') return `${this.name}\r\n`;
    if (cmd === 'uname -a') return `Linux ${this.name} 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64 GNU/Linux\r\n`;
    if (cmd === 'uname') return 'Linux\r\n';
    if (cmd === 'uptime') return this.uptime() + '\r\n';
    if (cmd === 'stty size') return `${this.rows} ${this.cols}\r\n`;
    return `-bash: ${cmd.split(/\s+/)[0]}: command not found\r\n`;
  }

  private uptime(): string {
    const now = this.clock.now();
    const incs = this.fleet.incarnations(this.uuid);
    const since = incs[incs.length - 1].start;
    const mins = Math.max(0, Math.floor((now.getTime() - since.getTime()) / 60000));
    const up = mins < 60 ? `${mins} min` : `${Math.floor(mins / 60)}:${String(mins % 60).padStart(2, '0')}`;
    return ` ${now.toISOString().slice(11, 19)} up ${up},  1 user,  load average: 0.08, 0.03, 0.01`;
  }

  /** For consoles in another process than the one changing the domain (the `xl console` executable). */
  notify(e: SimDomainEvent): void {
    this.onDomainEvent(e);
  }

  /** Swaps in a freshly replayed fleet (used by the executable, which re-reads its state file). */
  useFleet(fleet: SimFleet): void {
    this.fleet = fleet;
  }

  private onDomainEvent(e: SimDomainEvent): void {
    if (e.kind === 'reboot' || e.kind === 'boot') {
      if (e.kind === 'reboot') this.out('\r\n[  OK  ] Reached target reboot.target - System Reboot.\r\n[ 1234.567890] reboot: Restarting system\r\n');
      this.phase = 'login';
      this.line = '';
      this.out(bootMessages(this.name));
      this.out(`\r\nDebian GNU/Linux 12 ${this.name} hvc0\r\n\r\n${this.name} login: `);
    } else {
      this.out('\r\n[  OK  ] Reached target poweroff.target - System Power Off.\r\n[ 1234.567890] reboot: Power down\r\n');
      this.finish();
      this.push(null);
    }
  }
}

function bootMessages(name: string): string {
  return [
    '[    0.000000] Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1',
    '[    0.000000] Command line: root=/dev/xvda1 ro console=hvc0',
    '[    0.000000] Booting paravirtualized kernel on Xen',
    '[    0.412345] xen_netfront: Initialising Xen virtual ethernet driver',
    '[    0.523456] blkfront: xvda: flush diskcache: enabled; persistent grants: enabled',
    `[    2.345678] systemd[1]: Set hostname to <${name}>.`,
    '[  OK  ] Reached target multi-user.target - Multi-User System.',
  ].join('\r\n') + '\r\n';
}

/** Opens the console of a running domain on `hostName`; a second open while held throws InvalidState. */
export function openSimConsole(fleet: SimFleet, hostName: string, domainRef: string, clock: Clock): SimConsole {
  const d = fleet.findVm(domainRef);
  if (!d) throw new HostError('InvalidDomain', `domain ${domainRef} does not exist on ${hostName}`);
  const st = fleet.status(d.uuid);
  if (st.host !== hostName) throw new HostError('InvalidDomain', `domain ${domainRef} does not exist on ${hostName}`);
  if (!st.running) throw new HostError('InvalidState', `domain ${d.name} is not running`);
  const release = fleet.holdConsole(d.uuid, d.name);
  return new SimConsole(fleet, d.uuid, d.name, clock, release);
}
