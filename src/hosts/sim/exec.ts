// Entry point of the simulated `xl`, `xentop` and `ovs-vsctl` executables (see bin.ts): loads the fleet
// from a state file, advances it to now, answers like the real tool, records power commands, and
// re-materialises a fake sysfs tree of VBD statistics for the ssh adapter's sampling script.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManualClock, systemClock, type Clock } from '../../clock.ts';
import { HostError } from '../types.ts';
import { openSimConsole } from './console.ts';
import type { SimFleet } from './fleet.ts';
import { OVS_INTERFACE_COLUMNS, printOvsInterfaces, printXentop, printXlListLong, printXlListPlain } from './print.ts';
import { loadSimFleet, readSimState, withStateLock, writeState, type SimStateFile } from './state-file.ts';
import type { SimHostView, SimPowerAction } from './types.ts';

interface Out { code: number; stdout: string; stderr: string }
const ok = (stdout: string, stderr = ''): Out => ({ code: 0, stdout, stderr });
const fail = (stderr: string, code = 1): Out => ({ code, stdout: '', stderr: stderr.endsWith('\n') ? stderr : stderr + '\n' });

function nowOf(s: SimStateFile): Date {
  return s.now ? new Date(s.now) : systemClock.now();
}

/** Writes `<stateDir>/sysfs/vbd-<domid>-<dev>/statistics/{rd_sect,…}` for the host's current VBDs. */
export function materialiseSysfs(stateFile: string, v: SimHostView): void {
  const root = join(dirname(stateFile), 'sysfs');
  mkdirSync(root, { recursive: true });
  const want = new Set<string>();
  for (const d of v.domains) {
    for (const b of d.vbds) {
      const name = `vbd-${d.domid}-${b.dev}`;
      want.add(name);
      const dir = join(root, name, 'statistics');
      mkdirSync(dir, { recursive: true });
      const files: [string, bigint][] = [['rd_sect', b.rdSect], ['wr_sect', b.wrSect], ['rd_req', b.rdReq], ['wr_req', b.wrReq], ['oo_req', b.ooReq]];
      for (const [f, val] of files) {
        const tmp = join(dir, `.${f}.${process.pid}`);
        writeFileSync(tmp, `${val}\n`);
        renameSync(tmp, join(dir, f));
      }
    }
  }
  for (const e of readdirSync(root)) if (e.startsWith('vbd-') && !want.has(e)) rmSync(join(root, e), { recursive: true, force: true });
}

/** Resolves an xl domain argument: a domid of a running domain here, a name or a UUID. */
function resolveDomain(fleet: SimFleet, host: string, ref: string): string | null {
  if (/^\d+$/.test(ref)) {
    const d = fleet.hostView(host).domains.find((x) => x.domid === Number(ref));
    return d ? d.uuid : null;
  }
  const vm = fleet.findVm(ref);
  return vm && fleet.status(vm.uuid).host === host ? vm.uuid : null;
}

function runXentop(fleet: SimFleet, host: string, args: string[]): Out {
  let batch = false, full = false, iterations = 1;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-b' || a === '--batch') batch = true;
    else if (a === '-f' || a === '--full-name') full = true;
    else if (a === '-i' || a === '--iterations' || a === '-d' || a === '--delay') {
      const val = args[++i];
      if (val === undefined || !/^\d+$/.test(val)) return fail(`xentop: option '${a}' requires a numeric argument`);
      if (a.includes('i')) iterations = Number(val);
    } else if (/^-i\d+$/.test(a)) iterations = Number(a.slice(2));
    else if (/^--iterations=\d+$/.test(a)) iterations = Number(a.split('=')[1]);
    else if (a === '-V' || a === '--version') return ok('xentop 1.0\n');
    else return fail(`xentop: invalid option -- '${a.replace(/^-+/, '')}'\nUsage: xentop [OPTION]`);
  }
  if (!batch) return fail('xentop: the simulator only supports batch mode (-b)');
  if (iterations !== 1) return fail('xentop: the simulator prints exactly one iteration (-i 1)');
  return ok(printXentop(fleet.hostView(host), { full }));
}

function runOvs(fleet: SimFleet, host: string, args: string[]): Out {
  const rest: string[] = [];
  let json = false;
  let columns: string[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--format=json' || ((a === '--format' || a === '-f') && args[i + 1] === 'json' && ++i)) json = true;
    else if (a.startsWith('--columns=')) columns = a.slice('--columns='.length).split(',');
    else if (a === '--columns' && args[i + 1] !== undefined) columns = args[++i].split(',');
    else rest.push(a);
  }
  if (rest.length === 2 && rest[0] === 'list' && rest[1].toLowerCase() === 'interface') {
    if (!json) return fail('ovs-vsctl: the simulator only prints --format=json');
    const bad = columns?.find((c) => !OVS_INTERFACE_COLUMNS.includes(c));
    if (bad !== undefined) return fail(`ovs-vsctl: Interface does not contain a column whose name matches "${bad}"`);
    return ok(printOvsInterfaces(fleet.hostView(host), columns));
  }
  if (rest.length === 0) return fail('ovs-vsctl: missing command name (use --help for help)');
  return fail(`ovs-vsctl: unknown command '${rest.join(' ')}'; use --help for help`);
}

function runXl(fleet: SimFleet, state: SimStateFile, stateFile: string, args: string[], now: Date): Out {
  const [sub, ...rest] = args;
  const host = state.host;
  if (sub === 'list') {
    if (rest.length === 0) return ok(printXlListPlain(fleet.hostView(host)));
    if (rest.length === 1 && (rest[0] === '-l' || rest[0] === '--long')) return ok(printXlListLong(fleet.hostView(host)));
    return fail(`xl list: unsupported arguments: ${rest.join(' ')}`);
  }
  if (sub === 'shutdown' || sub === 'reboot' || sub === 'destroy' || sub === 'create') {
    const positional = rest.filter((a) => a !== '-w' && a !== '--wait');
    if (positional.length !== 1 || positional[0].startsWith('-')) return fail(`'xl ${sub}' requires exactly one domain argument`);
    let ref = positional[0];
    let action: SimPowerAction = sub === 'create' ? 'start' : sub;
    if (sub === 'create') {
      const m = /(?:^|\/)([^/]+)\.cfg$/.exec(ref);
      if (!m) return fail(`Failed to parse config file ${ref}: expected <path>/<name>.cfg`);
      ref = m[1];
      action = 'start';
    }
    const uuid = sub === 'create' ? fleet.findVm(ref)?.uuid ?? null : resolveDomain(fleet, host, ref);
    if (uuid === null) return fail(sub === 'create' ? `Failed to parse config file: no domain ${ref} is defined on ${host}` : `${ref} is an invalid domain identifier (rc=-6)`);
    const domid = fleet.status(uuid).domid;
    try {
      fleet.power(host, uuid, action, now);
    } catch (err) {
      if (err instanceof HostError) return fail(sub === 'create' ? `libxl: error: ${err.message}` : `xl ${sub}: ${err.message}`);
      throw err;
    }
    const s = readSimState(stateFile);
    s.commands.push({ at: now.toISOString(), op: 'power', host, domain: uuid, action });
    writeState(stateFile, s);
    const msg = sub === 'shutdown' ? `Shutting down domain ${domid}\n` : sub === 'reboot' ? `Rebooting domain ${domid}\n` : sub === 'create' ? `Parsing config from ${positional[0]}\n` : '';
    return ok('', msg);
  }
  if (sub === undefined) return fail('Usage xl [-vfNtT] <subcommand> [args]');
  return fail(`command not implemented: ${sub}`);
}

/** `xl console <dom>`: bridges the tty (raw) to the simulated serial console until Ctrl-] or halt. */
async function runConsole(stateFile: string, ref: string): Promise<number> {
  const state0 = readSimState(stateFile);
  const frozen = state0.now !== undefined;
  const clock: Clock = frozen ? new ManualClock(new Date(state0.now as string)) : systemClock;
  let fleet = loadSimFleet(state0, clock.now());
  const uuid = resolveDomain(fleet, state0.host, ref);
  if (uuid === null) {
    process.stderr.write(`${ref} is an invalid domain identifier (rc=-6)\n`);
    return 1;
  }
  const holder = join(dirname(stateFile), `console-${uuid}.pid`);
  if (existsSync(holder)) {
    const pid = Number(readFileSync(holder, 'utf8'));
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      alive = false;
    }
    if (alive) {
      process.stderr.write(`xl: console of ${fleet.findVm(uuid)?.name} is held by another session\n`);
      return 1;
    }
  }
  let con;
  try {
    con = openSimConsole(fleet, state0.host, uuid, clock);
  } catch (err) {
    process.stderr.write(`xl console: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  writeFileSync(holder, String(process.pid));
  // The pty's window size (set by the ssh client, changed on resize → SIGWINCH) is what the guest sees.
  const out = process.stdout;
  if (out.isTTY) {
    const applySize = (): void => con.resize(out.columns, out.rows);
    applySize();
    out.on('resize', applySize);
  }
  const stdin = process.stdin;
  if (stdin.isTTY) stdin.setRawMode(true);
  let domid = fleet.status(uuid).domid;
  const done = new Promise<number>((resolveDone) => {
    const finish = (code: number): void => {
      clearInterval(timer);
      try {
        unlinkSync(holder);
      } catch {
        // already removed
      }
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.destroy(); // pause() keeps a piped stdin open and the process alive
      resolveDone(code);
    };
    con.on('data', (b: Buffer) => process.stdout.write(b));
    con.on('end', () => finish(0));
    stdin.on('data', (b: Buffer) => {
      // Ctrl-] detaches, like the real xl console.
      const i = b.indexOf(0x1d);
      if (i >= 0) {
        if (i > 0) con.write(b.subarray(0, i));
        con.destroy();
        finish(0);
      } else con.write(b);
    });
    stdin.on('end', () => {
      con.destroy();
      finish(0);
    });
    // Other processes may reboot or stop the domain: replay the state each second and tell the console.
    const timer = setInterval(() => {
      const now = systemClock.now();
      const st = readSimState(stateFile);
      const fresh = loadSimFleet(st, st.now ? new Date(st.now) : now);
      const s = fresh.status(uuid);
      if (!s.running || s.host !== state0.host) con.notify({ kind: 'halt', uuid, at: now.getTime() });
      else if (s.domid !== domid) con.notify({ kind: 'reboot', uuid, at: now.getTime() });
      domid = s.domid;
      fleet = fresh;
      con.useFleet(fresh);
    }, 1000);
  });
  return done;
}

export async function main(argv: string[]): Promise<number> {
  const [stateFile, tool, ...args] = argv;
  if (!stateFile || !tool) {
    process.stderr.write('usage: exec.ts <state file> xl|xentop|ovs-vsctl [args…]\n');
    return 2;
  }
  if (tool === 'xl' && args[0] === 'console') {
    if (args.length !== 2) {
      process.stderr.write("'xl console' requires exactly one domain argument\n");
      return 1;
    }
    return runConsole(stateFile, args[1]);
  }
  const out = withStateLock(stateFile, (): Out => {
    const state = readSimState(stateFile);
    const now = nowOf(state);
    const fleet = loadSimFleet(state, now);
    // An unreachable host cannot answer at all: fail like a dropped connection would.
    if (fleet.isHostDown(state.host)) return fail(`${state.host}: host unreachable (simulated outage)`, 255);
    let res: Out;
    if (tool === 'xentop') res = runXentop(fleet, state.host, args);
    else if (tool === 'ovs-vsctl') res = runOvs(fleet, state.host, args);
    else if (tool === 'xl') res = runXl(fleet, state, stateFile, args, now);
    else res = fail(`${tool}: not a simulated tool`, 127);
    materialiseSysfs(stateFile, fleet.hostView(state.host));
    return res;
  });
  if (out.stdout) process.stdout.write(out.stdout);
  if (out.stderr) process.stderr.write(out.stderr);
  return out.code;
}

const isEntry = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolvePath(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`sim: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
