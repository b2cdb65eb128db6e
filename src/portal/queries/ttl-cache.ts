// A small per-context cache with a time-to-live, single flight and stale-while-revalidate: under load,
// concurrent dashboard requests share one host round trip or one estimate instead of each doing their own.
import { performance } from 'node:perf_hooks';

interface Entry<T> {
  at: number;
  value: Promise<T>;
  /** The value has loaded (a failed load is dropped, so a settled entry holds a good value). */
  settled: boolean;
  refreshing: boolean;
}

export class TtlCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Fresh entries are returned as they are. An expired entry that holds a good value is still returned while one
   * reload runs in the background (stale-while-revalidate): requests under load never queue behind a reload.
   * forget() drops entries outright, so callers that must see a change (after a power action) load afresh.
   */
  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    if (hit?.settled) {
      if (!hit.refreshing) {
        hit.refreshing = true;
        const next = load();
        next.then(
          () => {
            if (this.entries.get(key) === hit) this.entries.set(key, { at: this.now(), value: next, settled: true, refreshing: false });
          },
          () => {
            hit.refreshing = false; // keep serving the old value; the next request tries again
          },
        );
      }
      return hit.value;
    }
    if (hit) return hit.value; // the first load is still running: share it
    const entry: Entry<T> = { at: now, value: load(), settled: false, refreshing: false };
    this.entries.set(key, entry);
    entry.value.then(
      () => {
        entry.settled = true;
      },
      () => {
        // A failed load is not remembered.
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    if (this.entries.size > 10_000) this.entries.delete(this.entries.keys().next().value as string);
    return entry.value;
  }

  forget(key?: string): void {
    if (key === undefined) this.entries.clear();
    else this.entries.delete(key);
  }
}

/** One cache per service context (tests build many contexts in one process). */
export function perContext<C extends object, T>(ttlMs: number): (ctx: C) => TtlCache<T> {
  const caches = new WeakMap<C, TtlCache<T>>();
  return (ctx) => {
    let c = caches.get(ctx);
    if (!c) caches.set(ctx, (c = new TtlCache<T>(ttlMs)));
    return c;
  };
}
