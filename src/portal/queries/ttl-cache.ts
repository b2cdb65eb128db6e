// A small per-context cache with a time-to-live and single flight: under load, concurrent dashboard
// requests share one host round trip or one estimate instead of each doing their own.
import { performance } from 'node:perf_hooks';

interface Entry<T> {
  at: number;
  value: Promise<T>;
}

export class TtlCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  constructor(private readonly ttlMs: number) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = performance.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = load();
    this.entries.set(key, { at: now, value });
    // A failed load is not remembered.
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    if (this.entries.size > 10_000) this.entries.delete(this.entries.keys().next().value as string);
    return value;
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
