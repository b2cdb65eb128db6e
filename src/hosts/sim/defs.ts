// Static definitions of the simulated fleet: host names, VM identities, sizes and rate profiles,
// all derived from the seed so two fleets with the same options are the same fleet.
import { hash32, hashString, macFromWord, uuidFromWords, Xorshift } from './prng.ts';
import type { RateProfile } from './series.ts';
import type { SimFleetOptions, SimVmDef } from './types.ts';

const ROLES = ['web', 'db', 'cache', 'mail', 'analytics', 'build', 'vpn', 'ci-runner'];
const MEM_MIB = [512, 1024, 2048, 4096, 8192];
const VCPUS = [1, 1, 2, 2, 4];

export function hostNames(hosts: number | string[]): string[] {
  if (Array.isArray(hosts)) {
    if (new Set(hosts).size !== hosts.length) throw new Error('sim fleet: host names must be unique');
    return [...hosts];
  }
  const width = Math.max(2, String(hosts).length);
  return Array.from({ length: hosts }, (_, i) => `sim-${String(i + 1).padStart(width, '0')}`);
}

/** `sim-01` → `01`; other names are used whole, so VM names stay unique across the fleet. */
function hostTag(name: string): string {
  const m = /^sim-(\d+)$/.exec(name);
  return m ? m[1] : name;
}

export function buildVmDefs(opts: SimFleetOptions, hosts: string[]): { defs: SimVmDef[]; profiles: RateProfile[]; home: number[] } {
  const seed = opts.seed;
  const hvmShare = opts.hvmShare ?? 0.3;
  const ext = opts.ovsExternalIds ?? 'all';
  const defs: SimVmDef[] = [];
  const profiles: RateProfile[] = [];
  const home: number[] = [];
  for (let h = 0; h < hosts.length; h++) {
    const hs = hashString(hosts[h]);
    for (let n = 1; n <= opts.vmsPerHost; n++) {
      const idx = defs.length;
      // One hash per VM seeds a small generator for all its static choices (big fleets build fast).
      const r = new Xorshift(hash32(seed, hs, n, 0xd3f));
      const role = ROLES[r.int(ROLES.length)];
      const vcpus = VCPUS[r.int(VCPUS.length)];
      const memMiB = MEM_MIB[r.int(MEM_MIB.length)];
      const nVifs = r.next() < 0.8 ? 1 : 2;
      const nVbds = r.next() < 0.6 ? 1 : 2;
      const uuid = uuidFromWords(r.word(), r.word(), r.word(), r.word());
      const useKey = ext === 'all' || (ext === 'some' && r.next() < 0.5);
      const hvm = r.next() < hvmShare;
      const vifs = [];
      for (let d = 0; d < nVifs; d++) vifs.push({ devid: d, mac: macFromWord(r.word()) });
      const vbds = [];
      for (let i = 0; i < nVbds; i++) vbds.push({ dev: 51712 + 16 * i, vdev: `xvd${String.fromCharCode(97 + i)}` });
      defs.push({
        idx,
        uuid,
        name: `${role}-${hostTag(hosts[h])}-${n}`,
        vcpus,
        memMiB,
        hvm,
        vifs,
        vbds,
        pktSize: 200 + r.int(1200),
        sectPerReq: 8 + r.int(56),
        // Plain Xen + OVS hosts use vm-uuid, XenServer-style ones xs-vm-uuid: alternate by host.
        ovsUuidKey: useKey ? (h % 2 === 0 ? 'xs-vm-uuid' : 'vm-uuid') : null,
      });
      profiles.push(profileFor(role, vcpus, nVifs, nVbds, r.next()));
      home.push(h);
    }
  }
  return { defs, profiles, home };
}

/** Mean rates by role: [cpu share of vcpus, egress B/s, ingress B/s, read sectors/s, write sectors/s]. */
const ROLE_RATES: Record<string, readonly number[]> = {
  web: [0.15, 400_000, 60_000, 200, 100],
  db: [0.35, 80_000, 120_000, 3000, 1500],
  cache: [0.2, 300_000, 300_000, 20, 20],
  mail: [0.05, 30_000, 40_000, 100, 200],
  analytics: [0.6, 20_000, 500_000, 6000, 800],
  build: [0.7, 10_000, 200_000, 1500, 3000],
  vpn: [0.05, 150_000, 150_000, 5, 5],
  'ci-runner': [0.4, 20_000, 300_000, 800, 2500],
};

function profileFor(role: string, vcpus: number, vifs: number, vbds: number, u: number): RateProfile {
  const cap = vcpus * 1000;
  const scale = 0.5 + u;
  const base = ROLE_RATES[role];
  return {
    cpuMsPerSec: cap * base[0] * scale,
    cpuCapMsPerSec: cap,
    netOutBps: base[1] * scale,
    netInBps: base[2] * scale,
    rdSectPerSec: base[3] * scale,
    wrSectPerSec: base[4] * scale,
    vifs,
    vbds,
  };
}
