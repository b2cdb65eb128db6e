// A private, real Open vSwitch for tests: its own ovsdb-server + ovs-vswitchd (own rundir, so a parallel
// run or a system OVS is untouched), a netdev bridge, and network namespaces wired to it by veth pairs.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OVS_CTL = '/usr/share/openvswitch/scripts/ovs-ctl';

export interface OvsLab {
  /** Environment that points ovs-vsctl/ovs-ofctl at this private instance (OVS_RUNDIR etc.). */
  env: NodeJS.ProcessEnv;
  bridge: string;
  /** Unique per run; names below derive from it. */
  id: string;
  addNamespace(role: string, address: string): LabNamespace;
  vsctl(...args: string[]): string;
  /** Runs a program inside a namespace (argv, no shell) and resolves with its stdout. */
  nsExec(ns: LabNamespace, args: string[], timeoutMs?: number): Promise<string>;
  cleanup(): void;
}

export interface LabNamespace {
  name: string;
  /** The veth end inside the namespace (the "guest" NIC). */
  inner: string;
  /** The veth end plugged into OVS (the "vif" port). */
  port: string;
  /** IPv6 ULA address inside the namespace. */
  address: string;
}

function run(file: string, args: string[], env?: NodeJS.ProcessEnv): string {
  return execFileSync(file, args, { encoding: 'utf8', env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts a private OVS; throws with the install hint when Open vSwitch is missing. */
export function startOvsLab(): OvsLab {
  if (!existsSync(OVS_CTL)) {
    throw new Error(`${OVS_CTL} is missing: install openvswitch-switch (apt-get install -y openvswitch-switch iproute2 ethtool; .ci/run installs it)`);
  }
  const id = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'kb-ovs-'));
  for (const d of ['run', 'db', 'log', 'etc/openvswitch']) mkdirSync(join(dir, d), { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OVS_RUNDIR: join(dir, 'run'),
    OVS_DBDIR: join(dir, 'db'),
    OVS_LOGDIR: join(dir, 'log'),
    OVS_SYSCONFDIR: join(dir, 'etc'),
  };
  const namespaces: LabNamespace[] = [];
  const bridge = `kbbr${id}`;
  const vsctl = (...args: string[]) => run('ovs-vsctl', ['--timeout=10', ...args], env);
  const cleanup = () => {
    // Every step independent: a failed one must not leave the others behind.
    const steps: (() => void)[] = [
      ...namespaces.map((ns) => () => run('ip', ['netns', 'del', ns.name])),
      ...namespaces.map((ns) => () => run('ip', ['link', 'del', ns.port])),
      () => vsctl('--if-exists', 'del-br', bridge),
      () => run(OVS_CTL, ['stop'], env),
      () => rmSync(dir, { recursive: true, force: true }),
    ];
    for (const step of steps) {
      try {
        step();
      } catch {
        /* already gone */
      }
    }
  };
  try {
    run(OVS_CTL, ['start', '--system-id=random'], env);
    vsctl('add-br', bridge, '--', 'set', 'bridge', bridge, 'datapath_type=netdev');
  } catch (err) {
    cleanup();
    throw err;
  }

  const lab: OvsLab = {
    env,
    bridge,
    id,
    vsctl,
    addNamespace(role, address) {
      const ns: LabNamespace = { name: `kbtest-${role}-${id}`, inner: `kb${id}${role}i`, port: `kb${id}${role}0`, address };
      namespaces.push(ns);
      run('ip', ['netns', 'add', ns.name]);
      // No autoconfigured link-local, router solicitations or DAD: only the test's own packets cross the port.
      for (const key of ['default.addr_gen_mode=1', 'default.router_solicitations=0', 'default.accept_ra=0', 'all.accept_ra=0']) {
        run('ip', ['netns', 'exec', ns.name, 'sysctl', '-q', '-w', `net.ipv6.conf.${key}`]);
      }
      run('ip', ['link', 'add', ns.port, 'type', 'veth', 'peer', 'name', ns.inner, 'netns', ns.name]);
      run('ip', ['-n', ns.name, 'link', 'set', 'lo', 'up']);
      // The userspace datapath does not fill in offloaded TCP checksums.
      run('ip', ['netns', 'exec', ns.name, 'ethtool', '-K', ns.inner, 'tx', 'off']);
      run('ip', ['link', 'set', ns.port, 'up']);
      // Plug into OVS first (ovs-vsctl waits for ovs-vswitchd to attach the port), then let the
      // namespace speak: OVS then sees every frame the "guest" ever sent, so totals compare exactly.
      vsctl('add-port', bridge, ns.port);
      run('ip', ['-n', ns.name, 'addr', 'add', `${address}/64`, 'dev', ns.inner, 'nodad']);
      run('ip', ['-n', ns.name, 'link', 'set', ns.inner, 'up']);
      return ns;
    },
    nsExec(ns, args, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const child = spawn('ip', ['netns', 'exec', ns.name, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
        child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
        child.on('error', reject);
        child.on('close', (code, signal) =>
          code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} in ${ns.name} failed (${code ?? signal}): ${err.trim() || out.trim()}`)),
        );
      });
    },
    cleanup,
  };
  return lab;
}
