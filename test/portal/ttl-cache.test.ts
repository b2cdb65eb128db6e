// TtlCache: single flight, stale-while-revalidate after expiry, failed loads never cached, forget() loads afresh.
import { describe, expect, it, vi } from 'vitest';
import { TtlCache } from '../../src/portal/queries/ttl-cache.ts';

let t = 0;
const clock = () => t;

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('TtlCache', () => {
  it('shares one load between concurrent callers and serves it while fresh', async () => {
    const c = new TtlCache<number>(1000, clock);
    const load = vi.fn(async () => 1);
    const [a, b] = await Promise.all([c.get('k', load), c.get('k', load)]);
    expect([a, b, await c.get('k', load)]).toEqual([1, 1, 1]);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('after expiry answers with the old value at once and reloads once in the background', async () => {
    const c = new TtlCache<number>(1000, clock);
    await c.get('k', async () => 1);
    t += 1500;
    const slow = deferred<number>();
    const load = vi.fn(() => slow.promise);
    expect(await c.get('k', load)).toBe(1); // not waiting for the reload
    expect(await c.get('k', load)).toBe(1);
    expect(load).toHaveBeenCalledTimes(1);
    slow.resolve(2);
    await slow.promise;
    await Promise.resolve();
    expect(await c.get('k', load)).toBe(2);
  });

  it('keeps the old value when a reload fails, and never caches a failed first load', async () => {
    const c = new TtlCache<number>(1000, clock);
    await expect(c.get('k', async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await c.get('k', async () => 1)).toBe(1);
    t += 1500;
    const failing = c.get('k', () => Promise.reject(new Error('down')));
    expect(await failing).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(await c.get('k', async () => 3)).toBe(1); // answered stale, reload started
    await new Promise((r) => setImmediate(r));
    expect(await c.get('k', async () => 4)).toBe(3);
  });

  it('forget() makes the next caller load afresh', async () => {
    const c = new TtlCache<number>(60_000);
    await c.get('k', async () => 1);
    c.forget('k');
    expect(await c.get('k', async () => 2)).toBe(2);
  });
});
