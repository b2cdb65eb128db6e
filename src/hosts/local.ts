// HostAdapter for running on the dom0 itself: the same fixed argv as the SSH adapter, via execFile
// (never a shell option). The console gets a pty from util-linux `script`, see openConsole.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Duplex } from 'node:stream';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { consoleArgv, firstLine, interfaceStatsArgv, listDomainsArgv, powerArgv, powerFailure, sampleArgv, type Argv } from './commands.ts';
import { splitSample } from './sample-script.ts';
import { HostError, type ConsoleStream, type HostAdapter, type PowerAction, type RawSample, type SampleOptions } from './types.ts';

export interface LocalHostSettings {
  name?: string;
  sysfsRoot?: string;
  xenConfigDir?: string;
  /** Environment for the tools (default: this process's); tests prepend a sim bin dir to PATH. */
  env?: NodeJS.ProcessEnv;
}

export interface LocalExecResult {
  exit: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
}

const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/**
 * A constant script for `script -c`: util-linux `script` only takes a command STRING, so the string
 * never varies and the domain and size arrive as environment variables (validated before).
 */
const CONSOLE_SCRIPT = 'stty cols "$KAMIKAZI_COLS" rows "$KAMIKAZI_ROWS" 2>/dev/null; exec xl console "$KAMIKAZI_DOMAIN"';

export class LocalAdapter implements HostAdapter {
  readonly kind = 'local' as const;
  private readonly label: string;

  constructor(
    private readonly host: LocalHostSettings,
    private readonly clock: Clock,
    private readonly timeouts: { commandMs: number },
    private readonly log: Logger,
  ) {
    this.label = host.name ?? 'localhost';
  }

  async sample(opts?: SampleOptions): Promise<RawSample> {
    const args = sampleArgv(this.host.sysfsRoot, opts?.xlDigest);
    const takenAt = this.clock.now();
    const r = await this.exec(args);
    if (r.exit !== 0) throw new HostError('CommandFailed', `${this.label}: sample script ${describe(r)}`);
    return splitSample(r.stdout, takenAt);
  }

  async listDomains(): Promise<string> {
    const r = await this.exec(listDomainsArgv());
    if (r.exit !== 0) throw new HostError('CommandFailed', `${this.label}: xl list -l ${describe(r)}`);
    return r.stdout.toString('utf8');
  }

  async interfaceStats(): Promise<string> {
    const r = await this.exec(interfaceStatsArgv());
    if (r.exit === 127) return ''; // no Open vSwitch here, as in the sample script
    if (r.exit !== 0) throw new HostError('CommandFailed', `${this.label}: ovs-vsctl list Interface ${describe(r)}`);
    return r.stdout.toString('utf8');
  }

  async power(domain: string, action: PowerAction): Promise<void> {
    const r = await this.exec(powerArgv(domain, action, this.host.xenConfigDir));
    if (r.exit !== 0) {
      const err = powerFailure(action, domain, r.exit, r.stderr.toString('utf8'));
      throw new HostError(err.code, `${this.label}: ${err.message}`);
    }
  }

  /**
   * `xl console` needs a terminal (xenconsole puts it in raw mode). Node has no pty without native
   * modules, so util-linux `script` allocates one; its command string is the constant CONSOLE_SCRIPT.
   * Limitation: the pty's size is set once at open; `resize` is not available locally.
   */
  async openConsole(domain: string, size: { cols: number; rows: number } = { cols: 80, rows: 24 }): Promise<ConsoleStream> {
    const [, , dom] = consoleArgv(domain); // validates the domain ref
    const cols = clampInt(size.cols, 1, 1000);
    const rows = clampInt(size.rows, 1, 1000);
    const child = spawn('script', ['-q', '-f', '-e', '-c', CONSOLE_SCRIPT, '/dev/null'], {
      env: { ...(this.host.env ?? process.env), SHELL: '/bin/sh', TERM: 'xterm-256color', KAMIKAZI_DOMAIN: dom, KAMIKAZI_COLS: String(cols), KAMIKAZI_ROWS: String(rows) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) => reject(new HostError('CommandFailed', `${this.label}: cannot start script(1) for the console (util-linux installed?): ${err.message}`, { cause: err })));
    });
    child.stderr.on('data', (chunk: Buffer) => this.log.debug({ host: this.label, stderr: chunk.toString('utf8') }, 'console stderr'));
    return new ProcessConsole(child);
  }

  async close(): Promise<void> {
    // Nothing persistent: every command is its own process.
  }

  /** Runs a validated argv without a shell; non-zero exits are returned, not thrown. */
  exec(args: Argv): Promise<LocalExecResult> {
    const [file, ...rest] = args;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      execFile(
        file!,
        rest,
        { encoding: 'buffer', env: this.host.env ?? process.env, timeout: this.timeouts.commandMs, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT_BYTES },
        (err, stdout, stderr) => {
          this.log.debug({ host: this.label, cmd: file, ms: Math.round(performance.now() - started) }, 'local exec');
          if (!err) return resolve({ exit: 0, signal: null, stdout, stderr });
          const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: number | string };
          if (e.killed && e.signal === 'SIGKILL') {
            return reject(new HostError('HostTimeout', `${this.label}: ${file} ${rest[0] ?? ''} did not finish within ${this.timeouts.commandMs} ms; killed`));
          }
          if (e.code === 'ENOENT') return resolve({ exit: 127, signal: null, stdout, stderr: Buffer.from(`${file}: not found on PATH\n`) });
          if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
            return reject(new HostError('CommandFailed', `${this.label}: ${file} printed more than ${MAX_OUTPUT_BYTES} bytes`));
          }
          if (typeof e.code === 'number') return resolve({ exit: e.code, signal: null, stdout, stderr });
          if (e.signal) return resolve({ exit: null, signal: e.signal, stdout, stderr });
          reject(new HostError('CommandFailed', `${this.label}: cannot run ${file}: ${e.message}`, { cause: err }));
        },
      );
    });
  }
}

function describe(r: LocalExecResult): string {
  const how = r.exit === 127 ? 'exited 127 (not found on PATH)' : r.exit === null ? `was killed by ${r.signal}` : `exited ${r.exit}`;
  const line = firstLine(r.stderr.toString('utf8'));
  return line ? `${how}: ${line}` : how;
}

function clampInt(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.trunc(n) || lo));
}

/** The console child as one byte stream: keystrokes to its stdin, terminal output from its stdout. */
class ProcessConsole extends Duplex {
  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    super();
    child.stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.stdout.on('end', () => this.push(null));
    child.stdin.on('error', () => undefined); // EPIPE after the console exited: the read side reports the end
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.child.stdin.writable) this.child.stdin.write(chunk, () => done());
    else done();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.child.stdin.end();
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    if (this.child.exitCode === null) this.child.kill('SIGHUP');
    done(err);
  }
}
