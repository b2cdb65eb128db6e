// Live VM state straight from the hosts (`xl list -l`, one call per host, bounded wait), so the portal
// shows a power action's effect at once instead of after the next poll. Falls back to the polled state.
import type { AppContext } from '../../context.ts';
import { listHosts, type HostRecord } from '../../hosts/registry.ts';
import { parseXlListLong } from '../../hosts/parsers/index.ts';
import type { VmView } from './vms.ts';
import { perContext } from './ttl-cache.ts';

export interface LiveState {
  /** 'running' when the domain is listed on its host, 'stopped' when the host answered without it. */
  state: string;
  /** False when the host did not answer in time: `state` is the last polled one. */
  live: boolean;
}

const LIVE_TIMEOUT_MS = 1500;
/** A host's domain list is reused for a second: live enough for a page, cheap under load. */
const LIVE_CACHE_MS = 1000;
const domainCache = perContext<AppContext, Set<string> | null>(LIVE_CACHE_MS);
const hostListCache = perContext<AppContext, HostRecord[]>(LIVE_CACHE_MS);

/** Drops cached domain lists (after a power action, or when a test changes a fake host behind our back). */
export function forgetLiveStates(ctx: AppContext, hostId?: string): void {
  domainCache(ctx).forget(hostId);
  hostListCache(ctx).forget();
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then((v) => (clearTimeout(t), resolve(v)), (e: unknown) => (clearTimeout(t), reject(e)));
  });
}

/**
 * The last answer per VM list. Under load the dashboard asks with the same (shared) list and the same cached host
 * answers many times a second: it gets the same map back, and its rendered body is keyed on that map.
 */
const answers = new WeakMap<readonly VmView[], { sets: (Set<string> | null)[]; states: Map<string, LiveState> }>();

export async function liveStates(ctx: AppContext, vms: readonly VmView[]): Promise<Map<string, LiveState>> {
  const hostIds = new Set(vms.map((v) => v.hostId).filter((h): h is string => !!h));
  const hosts = hostIds.size ? (await hostListCache(ctx).get('all', () => listHosts(ctx.db))).filter((h) => hostIds.has(h.id)) : [];
  const sets = await Promise.all(
    hosts.map((h) =>
      domainCache(ctx).get(h.id, async () => {
        try {
          const text = await withTimeout(ctx.hosts.adapterFor(h).listDomains(), LIVE_TIMEOUT_MS);
          return new Set(parseXlListLong(text).map((d) => d.uuid ?? '').filter(Boolean));
        } catch {
          return null;
        }
      }),
    ),
  );
  const last = answers.get(vms);
  if (last && last.sets.length === sets.length && last.sets.every((s, i) => s === sets[i])) return last.states;
  const running = new Map(hosts.map((h, i) => [h.id, sets[i]]));
  const out = new Map<string, LiveState>();
  for (const v of vms) {
    const set = v.hostId ? running.get(v.hostId) : undefined;
    out.set(v.uuid, set ? { state: set.has(v.uuid) ? 'running' : 'stopped', live: true } : { state: v.state, live: false });
  }
  answers.set(vms, { sets, states: out });
  return out;
}
