// A simulated fleet persisted as (options + command log) in a JSON file, so separate processes (the
// `xl`/`xentop`/`ovs-vsctl` executables behind a real sshd) replay the very same fleet.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createSimFleet, type SimFleet } from './fleet.ts';
import type { SimCommand, SimFleetOptions } from './types.ts';

export interface SimStateFile {
  version: 1;
  /** The host these executables pretend to be. */
  host: string;
  fleet: {
    seed: number;
    start: string;
    hosts: number | string[];
    vmsPerHost: number;
    events?: SimFleetOptions['events'];
    hvmShare?: number;
    ovsExternalIds?: SimFleetOptions['ovsExternalIds'];
    counterOffsets?: Record<string, string>;
    vbdRsectGarbage?: boolean;
  };
  commands: SimCommand[];
  /** Frozen "now" for tests; absent = the real clock. */
  now?: string;
}

export function createSimStateFile(path: string, options: SimFleetOptions & { host?: string; now?: Date }): SimStateFile {
  const fleet = createSimFleet(options);
  const state: SimStateFile = {
    version: 1,
    host: options.host ?? fleet.hostNames[0],
    fleet: {
      seed: options.seed,
      start: options.start.toISOString(),
      hosts: options.hosts,
      vmsPerHost: options.vmsPerHost,
      events: options.events,
      hvmShare: options.hvmShare,
      ovsExternalIds: options.ovsExternalIds,
      counterOffsets: options.counterOffsets ? Object.fromEntries(Object.entries(options.counterOffsets).map(([k, v]) => [k, v.toString()])) : undefined,
      vbdRsectGarbage: options.vbdRsectGarbage,
    },
    commands: [],
    now: options.now?.toISOString(),
  };
  if (!fleet.hasHost(state.host)) throw new Error(`sim state: host ${state.host} is not in the fleet`);
  mkdirSync(dirname(path), { recursive: true });
  writeState(path, state);
  return state;
}

export function readSimState(path: string): SimStateFile {
  const s = JSON.parse(readFileSync(path, 'utf8')) as SimStateFile;
  if (s.version !== 1) throw new Error(`sim state ${path}: unsupported version ${String(s.version)}`);
  return s;
}

export function writeState(path: string, state: SimStateFile): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 1));
  renameSync(tmp, path);
}

export function fleetOptions(s: SimStateFile): SimFleetOptions {
  const f = s.fleet;
  return {
    seed: f.seed, start: new Date(f.start), hosts: f.hosts, vmsPerHost: f.vmsPerHost, events: f.events, hvmShare: f.hvmShare,
    ovsExternalIds: f.ovsExternalIds, vbdRsectGarbage: f.vbdRsectGarbage,
    counterOffsets: f.counterOffsets ? Object.fromEntries(Object.entries(f.counterOffsets).map(([k, v]) => [k, BigInt(v)])) : undefined,
  };
}

/** Rebuilds the fleet and replays every recorded command, then advances to `now`. */
export function loadSimFleet(s: SimStateFile, now: Date): SimFleet {
  const fleet = createSimFleet(fleetOptions(s));
  for (const c of [...s.commands].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) {
    if (Date.parse(c.at) <= now.getTime()) fleet.apply(c);
  }
  fleet.advanceTo(now);
  return fleet;
}

/** Freezes (or with null, unfreezes) the executables' clock. */
export function setSimStateNow(path: string, now: Date | null): void {
  withStateLock(path, () => {
    const s = readSimState(path);
    if (now === null) delete s.now;
    else s.now = now.toISOString();
    writeState(path, s);
  });
}

const sleepBuf = new Int32Array(new SharedArrayBuffer(4));

/** A lock file next to the state: concurrent invocations serialise their read-modify-write. */
export function withStateLock<T>(path: string, fn: () => T): T {
  const lock = `${path}.lock`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        // A lock older than 5 s belongs to a crashed process.
        if (Date.now() - statSync(lock).mtimeMs > 5000) unlinkSync(lock);
      } catch {
        // Raced with its owner removing it: retry.
      }
      if (Date.now() > deadline) throw new Error(`sim state: timed out waiting for ${lock}`);
      Atomics.wait(sleepBuf, 0, 0, 5);
    }
  }
  try {
    return fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // Already gone (stale-lock cleanup by another process).
    }
  }
}
