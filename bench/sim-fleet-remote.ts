// The collector's side of bench/sim-fleet-child.mts: an AdapterProvider whose sim hosts answer from the child
// process over IPC (structured clone), so only the collector's own work shows in this process's CPU and RSS.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AdapterProvider } from '../src/context.ts';
import type { SimEventRates } from '../src/hosts/sim/types.ts';
import { HostError, type ConsoleStream, type HostAdapter, type RawSample } from '../src/hosts/types.ts';

export type ToChild =
  | { type: 'init'; seed: number; start: string; hosts: number; vmsPerHost: number; events: Partial<SimEventRates> }
  | { type: 'prepare'; at: string }
  | { type: 'sample'; requests: Array<{ id: number; host: string; xlDigest?: string }> };
export type FromChild =
  | { type: 'ready'; hostNames: string[] }
  | { type: 'prepared' }
  | { type: 'sample'; id: number; sample: RawSample | { error: string } };

export interface RemoteSimFleet {
  hostNames: string[];
  /** Every host runs its tools at `at` (outside the measured cycle). */
  prepare(at: Date): Promise<void>;
  provider: AdapterProvider;
  close(): Promise<void>;
}

export async function startRemoteSimFleet(opts: { seed: number; start: Date; hosts: number; vmsPerHost: number; events: Partial<SimEventRates> }): Promise<RemoteSimFleet> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./sim-fleet-child.mts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (s: RawSample | { error: string }) => void>();
  let waiter: { resolve: (m: FromChild) => void; reject: (e: Error) => void } | null = null;
  child.on('message', (m: FromChild) => {
    if (m.type === 'sample') {
      pending.get(m.id)?.(m.sample);
      pending.delete(m.id);
    } else waiter?.resolve(m);
  });
  child.on('exit', (code) => waiter?.reject(new Error(`bench: sim fleet process exited (${code})`)));
  const request = (m: ToChild) =>
    new Promise<FromChild>((resolve, reject) => {
      waiter = { resolve, reject };
      child.send(m);
    });
  const init = await request({ type: 'init', seed: opts.seed, start: opts.start.toISOString(), hosts: opts.hosts, vmsPerHost: opts.vmsPerHost, events: opts.events });
  if (init.type !== 'ready') throw new Error('bench: sim fleet process did not start');
  let nextId = 0;
  // Requests made in the same tick travel as one message, as many SSH channel requests share a socket write:
  // an IPC write per host would charge the bench's transport, not the collector, a pipe syscall each.
  let queued: Array<{ id: number; host: string; xlDigest?: string }> = [];
  const flush = () => {
    child.send({ type: 'sample', requests: queued } satisfies ToChild);
    queued = [];
  };
  const sample = (host: string, xlDigest?: string) =>
    new Promise<RawSample>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, (s) => ('error' in s ? reject(new HostError('HostUnreachable', s.error)) : resolve({ ...s, takenAt: new Date(s.takenAt) })));
      if (queued.length === 0) setImmediate(flush);
      queued.push({ id, host, xlDigest });
    });
  const unsupported = (what: string) => Promise.reject(new HostError('CommandFailed', `bench sim host: ${what} is not part of the poll benchmark`));
  const adapters = new Map<string, HostAdapter>();
  const provider: AdapterProvider = {
    adapterFor(h) {
      let a = adapters.get(h.id);
      if (!a) {
        a = {
          kind: 'sim',
          sample: (o) => sample(h.name, o?.xlDigest),
          listDomains: () => unsupported('listDomains'),
          interfaceStats: () => unsupported('interfaceStats'),
          power: () => unsupported('power'),
          openConsole: () => unsupported('openConsole') as Promise<ConsoleStream>,
          close: async () => {},
        };
        adapters.set(h.id, a);
      }
      return a;
    },
    async forget(hostId) {
      adapters.delete(hostId);
    },
    async closeAll() {
      adapters.clear();
    },
  };
  return {
    hostNames: init.hostNames,
    async prepare(at) {
      const r = await request({ type: 'prepare', at: at.toISOString() });
      if (r.type !== 'prepared') throw new Error('bench: sim fleet process did not prepare the cycle');
    },
    provider,
    close: async () => {
      child.kill();
    },
  };
}
