// The production HostAdapter: runs fixed argv on a dom0 over one reused ssh2 connection.
// Commands get a timeout that kills the channel; consoles get a pty for `xl console`.
import type { Client, ClientChannel } from 'ssh2';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../log.ts';
import {
  consoleArgv,
  firstLine,
  interfaceStatsArgv,
  listDomainsArgv,
  powerArgv,
  powerFailure,
  sampleArgv,
  shellQuoteArgv,
  type Argv,
} from '../commands.ts';
import { splitSample } from '../sample-script.ts';
import { HostError, type ConsoleStream, type HostAdapter, type PowerAction, type RawSample, type SampleOptions } from '../types.ts';
import { SshConnection } from './connection.ts';
import { ChannelLimiter } from './limiter.ts';

export interface SshHostSettings {
  /** Inventory name, used in messages (defaults to the address). */
  name?: string;
  address: string;
  port?: number;
  username: string;
  keyPath: string;
  /** Pinned host key, `SHA256:<base64>` as printed by `ssh-keygen -lf`. */
  hostKey: string;
  /** Where the dom0 exposes Xen block backends (default /sys/bus/xen-backend/devices). */
  sysfsRoot?: string;
  /** Where `xl create` finds `<name>.cfg` (default /etc/xen). */
  xenConfigDir?: string;
}

export interface SshTimeouts {
  connectMs: number;
  commandMs: number;
  keepaliveMs?: number;
}

export interface ConsoleSize {
  cols: number;
  rows: number;
}

export interface ExecResult {
  exit: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
}

/** Output larger than this is a broken host, not a sample (a real 200-VM sample is well under 2 MiB). */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
/** OpenSSH's MaxSessions defaults to 10 channels per connection; stay under it, leaving room for consoles. */
const MAX_COMMAND_CHANNELS = 6;

export class SshAdapter implements HostAdapter {
  readonly kind = 'ssh' as const;
  readonly connection: SshConnection;
  private readonly label: string;
  private readonly channels = new ChannelLimiter(MAX_COMMAND_CHANNELS);

  constructor(
    private readonly host: SshHostSettings,
    private readonly clock: Clock,
    private readonly timeouts: SshTimeouts,
    private readonly log: Logger,
  ) {
    this.label = host.name ?? host.address;
    this.connection = new SshConnection(
      { label: this.label, address: host.address, port: host.port ?? 22, username: host.username, keyPath: host.keyPath, hostKey: host.hostKey },
      { connectTimeoutMs: timeouts.connectMs, keepaliveIntervalMs: timeouts.keepaliveMs ?? 15_000 },
      log,
    );
  }

  async sample(opts?: SampleOptions): Promise<RawSample> {
    const args = sampleArgv(this.host.sysfsRoot, opts?.xlDigest);
    const client = await this.connection.get();
    const takenAt = this.clock.now();
    const r = await this.execOn(client, args);
    if (r.exit !== 0) {
      throw new HostError('CommandFailed', `${this.label}: sample script ${describeExit(r)}${stderrSuffix(r)}`);
    }
    return splitSample(r.stdout, takenAt);
  }

  async listDomains(): Promise<string> {
    const r = await this.exec(listDomainsArgv());
    if (r.exit !== 0) throw new HostError('CommandFailed', `${this.label}: xl list -l ${describeExit(r)}${stderrSuffix(r)}`);
    return r.stdout.toString('utf8');
  }

  async interfaceStats(): Promise<string> {
    const r = await this.exec(interfaceStatsArgv());
    if (r.exit === 127) return ''; // no Open vSwitch on this host, as in the sample script
    if (r.exit !== 0) throw new HostError('CommandFailed', `${this.label}: ovs-vsctl list Interface ${describeExit(r)}${stderrSuffix(r)}`);
    return r.stdout.toString('utf8');
  }

  async power(domain: string, action: PowerAction): Promise<void> {
    const args = powerArgv(domain, action, this.host.xenConfigDir);
    const r = await this.exec(args);
    if (r.exit !== 0) {
      const err = powerFailure(action, domain, r.exit, r.stderr.toString('utf8'));
      throw new HostError(err.code, `${this.label}: ${err.message}`);
    }
  }

  /** `xl console` on a pty (xterm-256color); the returned stream's `resize` changes the remote window. */
  async openConsole(domain: string, size: ConsoleSize = { cols: 80, rows: 24 }): Promise<ConsoleStream> {
    const command = shellQuoteArgv(consoleArgv(domain));
    const client = await this.connection.get();
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      client.exec(command, { pty: { term: 'xterm-256color', cols: size.cols, rows: size.rows } }, (err, ch) =>
        err ? reject(this.channelError(client, err)) : resolve(ch),
      );
    });
    return Object.assign(channel, {
      resize(cols: number, rows: number): void {
        channel.setWindow(rows, cols, 0, 0);
      },
    });
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** Runs a validated argv (from the builders in commands.ts); non-zero exits are returned, not thrown. */
  async exec(args: Argv): Promise<ExecResult> {
    const client = await this.connection.get();
    return this.execOn(client, args);
  }

  private async execOn(client: Client, args: Argv): Promise<ExecResult> {
    const command = shellQuoteArgv(args);
    await this.channels.acquire();
    const started = performance.now();
    try {
      return await new Promise<ExecResult>((resolve, reject) => {
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let size = 0;
        let exit: number | null = null;
        let signal: string | null = null;
        let channel: ClientChannel | null = null;
        let settled = false;
        const finish = (e: HostError | null) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (e) return reject(e);
          this.log.debug({ host: this.label, cmd: args[0], ms: Math.round(performance.now() - started), exit }, 'ssh exec');
          resolve({ exit, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(errOut) });
        };
        const kill = (ch: ClientChannel) => {
          // OpenSSH >= 7.9 honours the signal request; closing the channel also hangs up the command.
          try {
            ch.signal('KILL');
          } catch {
            /* channel already gone */
          }
          ch.close();
        };
        // The clock runs from the exec request, so a host too busy to even open the channel times out too.
        const timer = setTimeout(() => {
          if (channel) kill(channel);
          finish(new HostError('HostTimeout', `${this.label}: ${args[0]} ${args[1] ?? ''} did not finish within ${this.timeouts.commandMs} ms; channel killed`));
        }, this.timeouts.commandMs);
        client.exec(command, (err, ch) => {
          if (err) return finish(this.channelError(client, err));
          if (settled) return kill(ch); // timed out while the channel was opening
          channel = ch;
          const collect = (into: Buffer[]) => (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_OUTPUT_BYTES) return void into.push(chunk);
            kill(ch);
            finish(new HostError('CommandFailed', `${this.label}: ${args[0]} printed more than ${MAX_OUTPUT_BYTES} bytes`));
          };
          ch.on('data', collect(out));
          ch.stderr.on('data', collect(errOut));
          ch.on('exit', (code: number | null, sig?: string) => {
            exit = code ?? null;
            signal = sig ?? null;
          });
          ch.on('close', () => {
            if (exit === null && signal === null) {
              finish(new HostError('HostUnreachable', `${this.label}: connection lost while running ${args[0]}`));
            } else finish(null);
          });
        });
      });
    } finally {
      this.channels.release();
    }
  }

  private channelError(client: Client, err: Error): HostError {
    // A refused channel usually means a dying connection: start afresh next time.
    this.connection.drop(client);
    return new HostError('HostUnreachable', `${this.label}: could not open an SSH channel: ${err.message}`, { cause: err });
  }
}

function describeExit(r: ExecResult): string {
  if (r.exit === 127) return 'exited 127 (command not found on the PATH of the SSH user)';
  return r.exit === null ? `was killed by signal ${r.signal ?? 'unknown'}` : `exited ${r.exit}`;
}

function stderrSuffix(r: ExecResult): string {
  const line = firstLine(r.stderr.toString('utf8'));
  return line ? `: ${line}` : '';
}
