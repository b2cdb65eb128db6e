// Static definitions of the simulated fleet: host names, VM identities, sizes and rate profiles,
// all derived from the seed so two fleets with the same options are the same fleet.
import { hash32, hashString, macFrom, rand01, uuidFrom } from './prng.ts';
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
      const role = ROLES[hash32(seed, hs, n, 1) % ROLES.length];
      const vcpus = VCPUS[hash32(seed, hs, n, 2) % VCPUS.length];
      const memMiB = MEM_MIB[hash32(seed, hs, n, 3) % MEM_MIB.length];
      const nVifs = rand01(seed, hs, n, 4) < 0.8 ? 1 : 2;
      const nVbds = rand01(seed, hs, n, 5) < 0.6 ? 1 : 2;
      const uuid = uuidFrom(seed, hs, n, 6);
      const useKey = ext === 'all' || (ext === 'some' && rand01(seed, hs, n, 7) < 0.5);
      defs.push({
        idx,
        uuid,
        name: `${role}-${hostTag(hosts[h])}-${n}`,
        vcpus,
        memMiB,
        hvm: rand01(seed, hs, n, 8) < hvmShare,
        vifs: Array.from({ length: nVifs }, (_, d) => ({ devid: d, mac: macFrom(seed, hs, n, 9, d) })),
        vbds: Array.from({ length: nVbds }, (_, i) => ({ dev: 51712 + 16 * i, vdev: `xvd${String.fromCharCode(97 + i)}` })),
        pktSize: 200 + (hash32(seed, hs, n, 10) % 1200),
        sectPerReq: 8 + (hash32(seed, hs, n, 11) % 56),
        // Plain Xen + OVS hosts use vm-uuid, XenServer-style ones xs-vm-uuid: alternate by host.
        ovsUuidKey: useKey ? (h % 2 === 0 ? 'xs-vm-uuid' : 'vm-uuid') : null,
      });
      profiles.push(profileFor(role, vcpus, nVifs, nVbds, rand01(seed, hs, n, 12)));
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
