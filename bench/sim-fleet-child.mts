// The poll benchmark's simulated fleet, in a process of its own: it stands in for 1,000 dom0s, so neither its
// memory nor the time it takes to print xentop / xl / ovs-vsctl text is charged to the collector under test.
// On `prepare` it advances to the cycle's time and prints every host's sample (as each dom0 would run its
// tools); `sample` requests are then answered from memory, one host at a time, like SSH replies.
import { ManualClock } from '../src/clock.ts';
import { HostError, type RawSample } from '../src/hosts/types.ts';
import { SimAdapter } from '../src/hosts/sim/adapter.ts';
import { SimFleet } from '../src/hosts/sim/fleet.ts';
import type { FromChild, ToChild } from './sim-fleet-remote.ts';

const send = (m: FromChild) => process.send!(m);
let fleet: SimFleet | undefined;
let clock: ManualClock | undefined;
let ready = new Map<string, RawSample | { error: string }>();

process.on('message', async (m: ToChild) => {
  if (m.type === 'init') {
    clock = new ManualClock(new Date(m.start));
    fleet = new SimFleet({ seed: m.seed, start: new Date(m.start), hosts: m.hosts, vmsPerHost: m.vmsPerHost, events: m.events });
    fleet.advanceTo(new Date(m.start));
    send({ type: 'ready', hostNames: [...fleet.hostNames] });
  } else if (m.type === 'prepare') {
    clock!.set(new Date(m.at));
    ready = new Map();
    for (const name of fleet!.hostNames) {
      try {
        ready.set(name, await new SimAdapter(fleet!, name, clock!).sample());
      } catch (err) {
        ready.set(name, { error: err instanceof HostError ? err.message : String(err) });
      }
    }
    send({ type: 'prepared' });
  } else if (m.type === 'sample') {
    for (const { id, host, xlDigest } of m.requests) {
      const r = ready.get(host);
      ready.delete(host);
      // As the sampling script does: the xl text only when its digest is not the one the collector holds.
      const answer = r && !('error' in r) && r.xlDigest === xlDigest ? { ...r, xlList: '', xlUnchanged: true } : r;
      send({ type: 'sample', id, sample: answer ?? { error: `${host}: no sample prepared for this cycle` } });
    }
  }
});
