// Chooses and caches the HostAdapter for each host row: sim (hosts of the simulated fleet, by name),
// ssh (production) or local (on dom0 itself). One adapter per host id, so ssh connections are reused.
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { AdapterProvider } from '../context.ts';
import type { Logger } from '../log.ts';
import { LocalAdapter } from './local.ts';
import type { HostRecord } from './registry.ts';
import { SimAdapter } from './sim/adapter.ts';
import type { SimFleet } from './sim/fleet.ts';
import { SshAdapter } from './ssh/adapter.ts';
import { HostError, type HostAdapter } from './types.ts';

export interface ProviderDeps {
  /** The simulated fleet; without it, `sim` hosts are refused. */
  fleet?: SimFleet;
  clock: Clock;
  config: Config;
  log: Logger;
}

export function createAdapterProvider(deps: ProviderDeps): AdapterProvider {
  const cache = new Map<string, HostAdapter>();
  const build = (h: HostRecord): HostAdapter => {
    const commandMs = deps.config.pollTimeoutSeconds * 1000;
    switch (h.adapter) {
      case 'sim':
        if (!deps.fleet || !deps.fleet.hasHost(h.name)) {
          throw new HostError('HostUnreachable', `host ${h.name} uses the sim adapter but the simulated fleet has no host of that name`);
        }
        return new SimAdapter(deps.fleet, h.name, deps.clock);
      case 'ssh':
        if (!h.address || !h.username || !h.keyPath || !h.hostKey) {
          throw new HostError('HostUnreachable', `host ${h.name}: the ssh adapter needs address, username, key path and pinned host key`);
        }
        return new SshAdapter(
          { name: h.name, address: h.address, port: h.port, username: h.username, keyPath: h.keyPath, hostKey: h.hostKey, sysfsRoot: h.sysfsRoot },
          deps.clock,
          { connectMs: deps.config.sshConnectTimeoutSeconds * 1000, commandMs },
          deps.log,
        );
      case 'local':
        return new LocalAdapter({ name: h.name, sysfsRoot: h.sysfsRoot }, deps.clock, { commandMs }, deps.log);
      default:
        throw new HostError('HostUnreachable', `host ${h.name}: unknown adapter ${JSON.stringify(h.adapter)} (expected ssh, local or sim)`);
    }
  };
  return {
    adapterFor(host) {
      let a = cache.get(host.id);
      if (!a) cache.set(host.id, (a = build(host)));
      return a;
    },
    async forget(hostId) {
      const a = cache.get(hostId);
      cache.delete(hostId);
      await a?.close();
    },
    async closeAll() {
      const all = [...cache.values()];
      cache.clear();
      await Promise.allSettled(all.map((a) => a.close()));
    },
  };
}
