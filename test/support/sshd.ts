// A real OpenSSH server on loopback for host-adapter tests: own host key, own client key, a login
// user whose shell is /bin/sh and whose PATH starts with a bin dir of simulated xl/xentop/ovs-vsctl.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';
export const TEST_USER = 'kbtest';

export interface TestSshd {
  address: string;
  port: number;
  username: string;
  /** `SHA256:...` of the server's host key, as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  clientKeyPath: string;
  /** Scratch dir (world-readable so the login user can reach the bin dir and state files in it). */
  dir: string;
  /** Everything sshd logged so far (LogLevel VERBOSE, one "Connection from" line per TCP connection). */
  log(): string;
  /** TCP connections sshd accepted so far. */
  connectionCount(): number;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Directories put first on the login user's PATH (SetEnv PATH=...). */
  pathDirs: string[];
  /** Scratch dir to use (created if missing); default a fresh one under the OS temp dir. */
  dir?: string;
}

/** Creates the login user once (tests run as root); tolerates a parallel run creating it first. */
export function ensureTestUser(): void {
  try {
    execFileSync('id', ['-u', TEST_USER], { stdio: 'ignore' });
    return;
  } catch {
    /* missing: create below */
  }
  try {
    // `-p '*'`: no password, but not locked (OpenSSH refuses locked accounts when PAM is off).
    execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', '--password', '*', TEST_USER], { stdio: 'pipe' });
  } catch (err) {
    // useradd exits 9 when a parallel run created the user first; only a still-missing user is an error.
    try {
      execFileSync('id', ['-u', TEST_USER], { stdio: 'ignore' });
    } catch {
      throw err;
    }
  }
}

export function sshKeygen(path: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kamikazi-test', '-f', path], { stdio: 'pipe' });
  const out = execFileSync('ssh-keygen', ['-l', '-f', `${path}.pub`], { encoding: 'utf8' });
  const fp = /SHA256:[A-Za-z0-9+/]{43}/.exec(out);
  if (!fp) throw new Error(`ssh-keygen -lf printed no SHA256 fingerprint: ${out}`);
  return fp[0];
}

export async function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, address, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export async function startSshd(options: SshdOptions): Promise<TestSshd> {
  if (!existsSync(SSHD)) {
    throw new Error(`${SSHD} is missing: install openssh-server (apt-get install -y openssh-server; .ci/run installs it)`);
  }
  ensureTestUser();
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir sshd insists on
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'kb-sshd-'));
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const hostKeyFingerprint = sshKeygen(join(dir, 'host_key'));
  sshKeygen(join(dir, 'client_key'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')), { mode: 0o644 });

  let lastError = '';
  for (const address of ['127.0.0.2', '127.0.0.1']) {
    const port = await freePort(address).catch(() => 0);
    if (!port) continue;
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `HostKey ${join(dir, 'host_key')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'StrictModes no',
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        `AllowUsers ${TEST_USER}`,
        'PermitRootLogin no',
        'LogLevel VERBOSE',
        'MaxStartups 50',
        `SetEnv PATH=${[...options.pathDirs, '/usr/local/bin', '/usr/bin', '/bin'].join(':')}`,
        '',
      ].join('\n'),
    );
    const child = spawn(SSHD, ['-D', '-e', '-f', config, '-p', String(port), '-o', `ListenAddress=${address}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => (log += s));
    const ok = await waitListening(child, () => log, 5000);
    if (ok) return handle(child, { address, port, dir, hostKeyFingerprint, own: !options.dir }, () => log);
    lastError = log.trim();
  }
  throw new Error(`sshd did not start on 127.0.0.2 or 127.0.0.1: ${lastError}`);
}

function waitListening(child: ChildProcess, log: () => string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const deadline = Date.now() + ms;
    const tick = () => {
      if (/Server listening on/.test(log())) return resolve(true);
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        return resolve(false);
      }
      setTimeout(tick, 20);
    };
    tick();
  });
}

function handle(
  child: ChildProcess,
  h: { address: string; port: number; dir: string; hostKeyFingerprint: string; own: boolean },
  log: () => string,
): TestSshd {
  return {
    address: h.address,
    port: h.port,
    username: TEST_USER,
    hostKeyFingerprint: h.hostKeyFingerprint,
    clientKeyPath: join(h.dir, 'client_key'),
    dir: h.dir,
    log,
    connectionCount: () => (log().match(/Connection from /g) ?? []).length,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (h.own) rmSync(h.dir, { recursive: true, force: true });
    },
  };
}
